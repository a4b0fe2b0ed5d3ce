use health_runtime::health_check;

#[health_check(tags = ["db", "sql", "db"])]
async fn postgres() {}

fn main() {}
