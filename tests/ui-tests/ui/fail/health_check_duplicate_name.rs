use health_runtime::health_check;

#[health_check(name = "postgres")]
async fn primary() {}

#[health_check(name = "postgres")]
async fn replica() {}

fn main() {}
