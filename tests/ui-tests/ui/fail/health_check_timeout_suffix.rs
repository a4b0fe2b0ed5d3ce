use health_runtime::health_check;

#[health_check(timeout_ms = 2000u64)]
async fn postgres() {}

fn main() {}
