// A timeout in seconds must not become the same number of milliseconds.
use health_runtime::health_check;

#[health_check(timeout_secs = 2)]
async fn postgres() {}

fn main() {}
