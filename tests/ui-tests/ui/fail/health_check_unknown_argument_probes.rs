use health_runtime::health_check;

#[health_check(probes = ["startup", "readiness"])]
async fn model() {}

fn main() {}
