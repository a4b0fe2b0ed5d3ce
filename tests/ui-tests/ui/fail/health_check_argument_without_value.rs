use health_runtime::health_check;

#[health_check(critical, name = "cache")]
async fn cache() {}

fn main() {}
