use health_runtime::health_check;

#[health_check(failures = "3")]
async fn cache() {}

fn main() {}
