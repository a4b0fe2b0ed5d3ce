use health_runtime::health_check;

#[health_check(name = "Redis Cache")]
async fn redis() {}

fn main() {}
