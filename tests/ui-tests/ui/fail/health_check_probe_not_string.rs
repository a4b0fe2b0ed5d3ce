use health_runtime::health_check;

#[health_check(probe = readiness)]
async fn postgres() {}

fn main() {}
