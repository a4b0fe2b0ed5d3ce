use health_runtime::health_check;

#[health_check(tags = "db")]
async fn postgres() {}

fn main() {}
