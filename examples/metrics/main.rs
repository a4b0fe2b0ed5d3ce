//! Per-check status and latency metrics for a Prometheus scrape.
//!
//! ```text
//! cargo run -p examples --example metrics --features metrics
//! curl localhost:8000/health/ready
//! curl localhost:8000/metrics
//! # health_check_status{check="flaky_upstream"} 0
//! # health_check_duration_seconds_sum{check="disk"} 0.000412
//! # health_check_runs_total{check="disk",status="healthy"} 3
//! ```
//!
//! Any `metrics` recorder works; this one renders the Prometheus text format on
//! `/metrics`. Metrics are recorded once per check run, so with `cache_ttl` or
//! `background` they count runs against the dependency, not probes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use health_runtime::{Check, CheckOutcome, Health};
use metrics_exporter_prometheus::PrometheusBuilder;

#[tokio::main]
async fn main() {
    let prometheus = PrometheusBuilder::new()
        .install_recorder()
        .expect("install the Prometheus recorder");

    // An upstream that fails every third run, so the metrics have something to show.
    let calls = AtomicU64::new(0);
    let health = Health::builder()
        .check(Check::new("disk", || async {
            tokio::fs::metadata(std::env::temp_dir()).await.map(|_| ())
        }))
        .check(
            Check::new("flaky_upstream", move || {
                let call = calls.fetch_add(1, Ordering::Relaxed);
                async move {
                    if call % 3 == 2 {
                        CheckOutcome::unhealthy("upstream answered 502")
                    } else {
                        CheckOutcome::healthy()
                    }
                }
            })
            .critical(false),
        )
        .background(Duration::from_secs(5))
        .build()
        .expect("valid health configuration");

    let app = Router::new()
        .route("/metrics", get(move || async move { prometheus.render() }))
        .merge(health.router());

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    println!("listening on http://127.0.0.1:{port} (/health/ready, /metrics)");
    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
        .await
        .expect("serve");
}
