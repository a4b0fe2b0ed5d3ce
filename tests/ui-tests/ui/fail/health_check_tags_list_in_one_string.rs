use health_runtime::health_check;

#[health_check(tags = ["db,sql"])]
async fn postgres() {}

fn main() {}
