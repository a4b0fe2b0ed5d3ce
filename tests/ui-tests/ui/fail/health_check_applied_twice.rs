use health_runtime::health_check;

#[health_check(name = "postgres")]
#[health_check]
async fn postgres() {}

fn main() {}
