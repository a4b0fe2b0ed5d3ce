use health_runtime::health_check;

#[health_check(name = concat!("red", "is"))]
async fn cache() {}

fn main() {}
