use health_runtime::health_check;

const TIMEOUT_MS: u64 = 2000;

#[health_check(timeout_ms = TIMEOUT_MS)]
async fn postgres() {}

fn main() {
    let _ = TIMEOUT_MS;
}
