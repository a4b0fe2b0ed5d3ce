use health_runtime::health_check;

#[health_check(timeout_ms = std::time::Duration::from_secs(2))]
async fn postgres() {}

fn main() {}
