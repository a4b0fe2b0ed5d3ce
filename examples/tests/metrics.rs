//! The metrics example's scrape as Prometheus reads it: every metric described, the run
//! latency a histogram with buckets, a state gauge per check, and nothing that Prometheus's
//! own linter, `promtool check metrics` (Debian's `prometheus` package, installed by the
//! test command), reports.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::example::{self, Service};
use tests::http::try_request;

/// The example's `/metrics` once both checks have run.
async fn scrape(service: &Service) -> String {
    service
        .until("/health/ready", Duration::from_secs(20), |status, _| {
            status == 200
        })
        .await;
    for _ in 0..100 {
        if let Ok(response) = try_request(service.addr, "GET", "/metrics", &[]).await {
            let text = String::from_utf8_lossy(&response.body).into_owned();
            if text.contains("check=\"flaky_upstream\"") && text.contains("check=\"disk\"") {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/metrics never showed both checks");
}

fn promtool(scrape: &str) -> std::process::Output {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; scripts/install-test-deps installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_scrape_is_described_a_histogram_and_promtool_clean() {
    let service = Service::start(&example::binary("metrics"), &[], &[]);
    let text = scrape(&service).await;

    for metric in [
        "health_check_status",
        "health_check_state",
        "health_check_duration_seconds",
        "health_check_runs_total",
    ] {
        assert!(
            text.contains(&format!("# HELP {metric} ")),
            "{metric} undescribed:\n{text}"
        );
    }
    assert!(
        text.contains("# TYPE health_check_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("health_check_duration_seconds_bucket{check=\"disk\",le=\"0.001\"}"),
        "{text}"
    );
    for state in ["healthy", "degraded", "unhealthy"] {
        assert!(
            text.contains(&format!(
                "health_check_state{{check=\"disk\",state=\"{state}\"}}"
            )),
            "{state}:\n{text}"
        );
    }
    assert!(
        text.contains("health_check_state{check=\"disk\",state=\"healthy\"} 1"),
        "{text}"
    );

    let lint = promtool(&text);
    assert!(lint.status.success(), "promtool failed: {lint:?}\n{text}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(said.trim().is_empty(), "promtool: {said}\n{text}");
}

/// The linter is not silent on everything: an undescribed summary gets its complaints.
#[test]
fn promtool_reports_what_it_should() {
    let lint = promtool("health_check_duration_seconds{quantile=\"0.5\"} 0.1\nfoo_total 1\n");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(!said.trim().is_empty(), "promtool said nothing: {lint:?}");
}
