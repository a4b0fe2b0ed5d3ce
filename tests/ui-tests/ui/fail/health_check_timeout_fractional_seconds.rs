use health_runtime::health_check;

#[health_check(timeout_ms = 1.5s)]
async fn postgres() {}

fn main() {}
