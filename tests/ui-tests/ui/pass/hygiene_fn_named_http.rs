//! A check function named like an import in scope (`use axum::http;`).

#[path = "../support/serve.rs"]
mod serve;

use axum::http;
use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn http() -> bool {
    http::StatusCode::OK.is_success()
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [http]), &["http"]);
    serve::assert_ready(health_routes!(health), &["http"]);
}
