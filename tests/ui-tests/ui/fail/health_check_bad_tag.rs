use health_runtime::health_check;

#[health_check(tags = ["db", "-primary"])]
async fn postgres() {}

fn main() {}
