use health_runtime::health_check;

#[health_check(critical = 0)]
async fn cache() {}

fn main() {}
