use health_runtime::health_check;

#[health_check(name = "Grüße")]
async fn greetings() {}

fn main() {}
