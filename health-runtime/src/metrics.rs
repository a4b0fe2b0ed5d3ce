//! Per-check metrics through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): install any recorder — for example `metrics-exporter-prometheus` — and a
//! scrape reads them.
//!
//! | metric | kind | labels | meaning |
//! |---|---|---|---|
//! | `health_check_status` | gauge | `check` | 1 healthy, 0.5 degraded, 0 unhealthy (last run) |
//! | `health_check_duration_seconds` | histogram | `check` | latency of each run |
//! | `health_check_runs_total` | counter | `check`, `status` | runs, by outcome |
//!
//! Recorded once per run, not per request: cached, shared and background results are
//! not counted again.

use crate::{CheckResult, CheckStatus};

pub(crate) fn record(result: &CheckResult) {
    let check = result.name().to_owned();
    let (value, status) = match result.status() {
        CheckStatus::Healthy => (1.0, "healthy"),
        CheckStatus::Degraded => (0.5, "degraded"),
        CheckStatus::Unhealthy => (0.0, "unhealthy"),
    };
    metrics::gauge!("health_check_status", "check" => check.clone()).set(value);
    metrics::histogram!("health_check_duration_seconds", "check" => check.clone())
        .record(result.latency().as_secs_f64());
    metrics::counter!("health_check_runs_total", "check" => check, "status" => status).increment(1);
}
