use health_runtime::health_check;

#[health_check(probe = ["startup", "readiness", "startup"])]
async fn model() {}

fn main() {}
