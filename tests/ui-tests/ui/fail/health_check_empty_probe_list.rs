use health_runtime::health_check;

#[health_check(probe = [])]
async fn model() {}

fn main() {}
