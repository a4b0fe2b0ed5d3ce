use health_runtime::health_check;

#[health_check(timeout_ms = 0)]
async fn postgres() {}

fn main() {}
