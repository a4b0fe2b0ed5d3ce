use health_runtime::health_check;

#[health_check(critical = "yes")]
async fn cache() {}

fn main() {}
