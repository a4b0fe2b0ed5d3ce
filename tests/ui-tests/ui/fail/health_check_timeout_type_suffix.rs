use health_runtime::health_check;

#[health_check(timeout_ms = 1500usize)]
async fn postgres() {}

fn main() {}
