use health_runtime::health_check;

#[health_check(redis)]
async fn cache() {}

fn main() {}
