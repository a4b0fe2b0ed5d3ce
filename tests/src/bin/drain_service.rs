//! A service for the shutdown tests: `/work?ms=N` answers after N ms, the health routes
//! run one check, and SIGTERM goes through `Health::shutdown_signal` with the drain delay
//! of `$DRAIN_MS`. Prints `listening on <addr>` once it accepts connections.

use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use health_runtime::{Check, Health};

#[derive(serde::Deserialize)]
struct Work {
    ms: u64,
}

#[tokio::main]
async fn main() {
    let drain_ms = std::env::var("DRAIN_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(1000);
    let health = Health::builder()
        .without_registered()
        .check(Check::new("database", || async { true }))
        .drain_delay(Duration::from_millis(drain_ms))
        .build()
        .expect("valid health configuration");
    let app = Router::new()
        .route(
            "/work",
            get(|Query(work): Query<Work>| async move {
                tokio::time::sleep(Duration::from_millis(work.ms)).await;
                "done"
            }),
        )
        .merge(health.router());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("listening on {}", listener.local_addr().expect("address"));
    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
        .await
        .expect("serve");
    println!("drained");
}
