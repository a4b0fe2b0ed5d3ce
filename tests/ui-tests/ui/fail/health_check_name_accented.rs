use health_runtime::health_check;

#[health_check(name = "café-cache")]
async fn cache() {}

fn main() {}
