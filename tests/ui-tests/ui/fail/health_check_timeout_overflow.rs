use health_runtime::health_check;

#[health_check(timeout_ms = 99999999999999999999999999999999999999999)]
async fn postgres() {}

fn main() {}
