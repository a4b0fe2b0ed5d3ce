use health_runtime::health_check;

#[health_check(name = "redis" timeout_ms = 500)]
async fn cache() {}

fn main() {}
