use health_runtime::health_check;

#[health_check(timeout_ms = 0.5ms)]
async fn postgres() {}

fn main() {}
