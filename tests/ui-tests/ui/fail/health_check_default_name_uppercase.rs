use health_runtime::health_check;

#[allow(non_snake_case)]
#[health_check]
async fn checkRedis() {}

fn main() {}
