use health_runtime::health_check;

#[health_check(timeout_ms = true)]
async fn postgres() {}

fn main() {}
