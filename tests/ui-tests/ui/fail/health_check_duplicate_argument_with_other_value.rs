// A repeated argument is reported as repeated, whatever its second value.
use health_runtime::health_check;

#[health_check(name = "redis", timeout_ms = 100, name = 5)]
async fn cache() {}

fn main() {}
