//! Per-check metrics, read back as a Prometheus scrape would: status and latency per
//! check, counted per run rather than per probe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use health_runtime::{Check, Health};
use metrics_exporter_prometheus::PrometheusBuilder;
use tests::http::TestServer;

fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn checks_publish_status_latency_and_runs() {
    let prometheus = PrometheusBuilder::new().install_recorder().unwrap();
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let health = Health::builder()
        .without_registered()
        .check(Check::new("database", move || {
            let up = flag.load(Ordering::SeqCst);
            async move { if up { Ok(()) } else { Err("refused") } }
        }))
        .cache_ttl_for("cached", Duration::from_secs(60))
        .check(Check::new("cached", || async { true }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    for _ in 0..3 {
        server.get("/health/ready").await;
    }
    let scrape = prometheus.render();
    assert_eq!(
        sample(&scrape, r#"health_check_status{check="database"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &scrape,
            r#"health_check_runs_total{check="database",status="healthy"}"#
        ),
        Some(3.0)
    );
    // Served from the cache twice: one run against the dependency, one count.
    assert_eq!(
        sample(
            &scrape,
            r#"health_check_runs_total{check="cached",status="healthy"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &scrape,
            r#"health_check_duration_seconds_count{check="database"}"#
        ),
        Some(3.0)
    );

    up.store(false, Ordering::SeqCst);
    server.get("/health/ready").await;
    let scrape = prometheus.render();
    assert_eq!(
        sample(&scrape, r#"health_check_status{check="database"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &scrape,
            r#"health_check_runs_total{check="database",status="unhealthy"}"#
        ),
        Some(1.0)
    );
}
