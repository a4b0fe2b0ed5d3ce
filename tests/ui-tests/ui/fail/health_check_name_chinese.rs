use health_runtime::health_check;

#[health_check(name = "数据库")]
async fn database() {}

fn main() {}
