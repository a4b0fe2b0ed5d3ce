use health_runtime::health_check;

#[health_check(timeout_ms = 1.5)]
async fn postgres() {}

fn main() {}
