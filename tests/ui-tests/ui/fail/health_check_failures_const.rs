use health_runtime::health_check;

const LIMIT: u32 = 3;

#[health_check(failures = LIMIT)]
async fn cache() {}

fn main() {}
