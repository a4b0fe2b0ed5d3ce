use health_runtime::health_check;

#[health_check(timeout_ms = 2s)]
async fn postgres() {}

fn main() {}
