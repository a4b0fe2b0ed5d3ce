use health_runtime::health_check;

#[health_check(name = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789ab")]
async fn long_name() {}

fn main() {}
