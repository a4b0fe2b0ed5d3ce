//! A check function named `tokio`, whose body awaits `tokio` functions.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check(timeout_ms = 2000)]
async fn tokio() -> bool {
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    true
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [tokio]), &["tokio"]);
}
