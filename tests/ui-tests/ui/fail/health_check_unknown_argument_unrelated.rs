use health_runtime::health_check;

#[health_check(interval = 5)]
async fn postgres() {}

fn main() {}
