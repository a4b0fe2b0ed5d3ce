use health_runtime::health_check;

#[health_check(probe = "ready")]
async fn postgres() {}

fn main() {}
