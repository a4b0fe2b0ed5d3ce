use health_runtime::health_check;

#[health_check(name = "-primary")]
async fn primary() {}

fn main() {}
