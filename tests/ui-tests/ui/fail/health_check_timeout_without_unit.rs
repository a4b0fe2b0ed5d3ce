use health_runtime::health_check;

#[health_check(timeout = 2)]
async fn postgres() {}

fn main() {}
