//! Per-check status and latency metrics for a Prometheus scrape.
//!
//! ```text
//! cargo run -p examples --example metrics --features metrics
//! curl localhost:8000/health/ready
//! curl localhost:8000/metrics
//! # health_check_status{check="flaky_upstream"} 0
//! # health_check_state{check="flaky_upstream",state="unhealthy"} 1
//! # health_check_duration_seconds_bucket{check="disk",le="0.001"} 3
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
use health_runtime::report::StatusChange;
use health_runtime::{Check, CheckOutcome, Health};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

#[tokio::main]
async fn main() {
    // Buckets make `health_check_duration_seconds` a Prometheus histogram (without them
    // the exporter renders a summary, which cannot be aggregated across replicas).
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("health_check_duration_seconds".into()),
            health_runtime::run::DURATION_BUCKETS,
        )
        .expect("non-empty buckets")
        .install_recorder()
        .expect("install the Prometheus recorder");

    let (changes, mut published) = tokio::sync::mpsc::unbounded_channel::<StatusChange>();
    tokio::spawn(async move {
        while let Some(change) = published.recv().await {
            let from = change.from.unwrap_or("unknown");
            println!(
                "status change: {:?} {from} -> {}",
                change.subject, change.to
            );
        }
    });

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
        // Each transition of a check or a probe, handed to a task that publishes it (here
        // to stdout; a webhook or a message bus in a real service) without slowing the run.
        .on_change(move |change| {
            let _ = changes.send(change.clone());
        })
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
    health_runtime::serve(listener, app, &health)
        .await
        .expect("serve");
}
