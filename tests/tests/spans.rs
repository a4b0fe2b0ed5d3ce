//! Each check run is a `tracing` span, `health_check{check, probe, outcome, latency_ms}`,
//! so an app's `tracing-opentelemetry` layer exports it: whether the run finished in place
//! or was spawned to wait on I/O, and whether it succeeded, failed or timed out. In a test
//! binary of its own: the subscriber is process-wide.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_runtime::{Check, Health, Probe};
use tests::http::TestServer;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<String>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_str(&String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The closed `health_check` span of `check`, waiting up to 5 s for it.
async fn closed_span(lines: &Lines, check: &str) -> String {
    for _ in 0..50 {
        let text = lines.0.lock().unwrap().clone();
        if let Some(line) = text.lines().find(|line| {
            line.contains(&format!("health_check{{check=\"{check}\"")) && line.contains(": close ")
        }) {
            return line.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no closed span for {check}:\n{}", lines.0.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_run_is_a_span_with_its_check_probe_outcome_and_latency() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_max_level(tracing::Level::INFO)
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
