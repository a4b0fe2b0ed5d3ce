//! A check function named like a type imported in the same module: the type stays usable,
//! in the function's own body too.

#![allow(non_snake_case)]

#[path = "../support/serve.rs"]
mod serve;

use std::time::Duration;

use health_runtime::{Health, health_check, health_routes};

#[health_check(name = "duration")]
async fn Duration() -> bool {
    Duration::from_secs(1) > Duration::ZERO
}

fn main() {
    let timeout: Duration = Duration::from_millis(5);
    assert_eq!(timeout.as_millis(), 5);
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [Duration]), &["duration"]);
}
