use health_runtime::health_check;

#[health_check(tags = [])]
async fn postgres() {}

fn main() {}
