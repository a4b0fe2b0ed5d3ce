use health_runtime::health_check;

#[health_check(timeout_ms = 1min)]
async fn postgres() {}

fn main() {}
