//! Each check run is a `tracing` span, `health_check{check, probe, outcome, latency_ms}`,
//! so an app's `tracing-opentelemetry` layer exports it: whether the run finished in place
//! or was spawned to wait on I/O, and whether it succeeded, failed or timed out. In a test
//! binary of its own: the subscriber is process-wide.

use std::time::Duration;

use health_runtime::{Check, Health, Probe};
use tests::capture::Logs;
use tests::http::TestServer;
use tracing_subscriber::fmt::format::FmtSpan;

/// The closed `health_check` span of `check`, waiting up to 5 s for it.
async fn closed_span(lines: &Logs, check: &str) -> String {
    for _ in 0..50 {
        let text = lines.text();
        if let Some(line) = text.lines().find(|line| {
            line.contains(&format!("health_check{{check=\"{check}\"")) && line.contains(": close ")
        }) {
            return line.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no closed span for {check}:\n{}", lines.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_run_is_a_span_with_its_check_probe_outcome_and_latency() {
    let lines = Logs::new();
    let subscriber = lines
        .builder(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let health = Health::builder()
        .without_registered()
        .check(Check::new("flag", || async { true }))
        .check(
            Check::new("database", || async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err::<(), _>("connection refused")
            })
            .probes([Probe::Readiness, Probe::Liveness]),
        )
        .check(Check::new("hung", std::future::pending::<()>).timeout(Duration::from_millis(100)))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    assert_eq!(server.get("/health/ready").await.status, 503);

    let flag = closed_span(&lines, "flag").await;
    assert!(flag.contains("probe=\"readiness\""), "{flag}");
    assert!(flag.contains("outcome=\"healthy\""), "{flag}");
    assert!(flag.contains("latency_ms="), "{flag}");

    let database = closed_span(&lines, "database").await;
    assert!(
        database.contains("probe=\"liveness,readiness\""),
        "{database}"
    );
    assert!(database.contains("outcome=\"unhealthy\""), "{database}");
    let latency: f64 = database
        .split("latency_ms=")
        .nth(1)
        .and_then(|rest| rest.split(['}', ' ']).next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no latency in {database}"));
    assert!(latency >= 50.0, "{database}");

    let hung = closed_span(&lines, "hung").await;
    assert!(hung.contains("outcome=\"unhealthy\""), "{hung}");
}
