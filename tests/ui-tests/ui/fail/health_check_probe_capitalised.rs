use health_runtime::health_check;

#[health_check(probe = "Readiness")]
async fn postgres() {}

fn main() {}
