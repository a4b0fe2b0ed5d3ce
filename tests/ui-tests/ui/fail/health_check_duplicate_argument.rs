use health_runtime::health_check;

#[health_check(name = "postgres", timeout_ms = 2000, name = "pg")]
async fn postgres() {}

fn main() {}
