use health_runtime::health_check;

#[health_check(timeout_ms = 240001)]
async fn postgres() {}

fn main() {}
