use health_runtime::health_check;

#[health_check(name = postgres)]
async fn postgres() {}

fn main() {}
