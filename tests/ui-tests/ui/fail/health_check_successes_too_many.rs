use health_runtime::health_check;

#[health_check(successes = 101)]
async fn cache() {}

fn main() {}
