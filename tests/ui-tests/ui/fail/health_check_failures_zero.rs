use health_runtime::health_check;

#[health_check(failures = 0)]
async fn cache() {}

fn main() {}
