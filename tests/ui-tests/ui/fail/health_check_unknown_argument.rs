use health_runtime::health_check;

#[health_check(name = "postgres", timout_ms = 2000)]
async fn postgres() {}

fn main() {}
