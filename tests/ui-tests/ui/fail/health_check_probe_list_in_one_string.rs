use health_runtime::health_check;

#[health_check(probe = "startup, readiness")]
async fn model() {}

fn main() {}
