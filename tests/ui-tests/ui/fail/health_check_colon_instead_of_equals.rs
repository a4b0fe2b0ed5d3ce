use health_runtime::health_check;

#[health_check(name: "redis")]
async fn cache() {}

fn main() {}
