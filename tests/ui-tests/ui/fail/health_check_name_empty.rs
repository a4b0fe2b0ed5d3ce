use health_runtime::health_check;

#[health_check(name = "")]
async fn unnamed() {}

fn main() {}
