use health_runtime::health_check;

#[health_check(timeout_ms = 2.5)]
async fn postgres() {}

fn main() {}
