//! A check function named `std`, whose body still reaches the standard library.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn std() -> std::io::Result<()> {
    let elapsed = std::time::Duration::from_millis(3);
    assert_eq!(elapsed.as_millis(), 3);
    Ok(())
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [std]), &["std"]);
}
