//! Per-check metrics through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`): install any recorder — for example `metrics-exporter-prometheus` — and a
//! scrape reads them. Every metric is described, so a Prometheus scrape carries its
//! `# HELP` line and `promtool check metrics` finds nothing to say.
//!
//! | metric | kind | labels | meaning |
//! |---|---|---|---|
//! | `health_check_status` | gauge | `check` | 1 healthy, 0.5 degraded, 0 unhealthy (last run) |
//! | `health_check_state` | gauge | `check`, `state` | 1 for the state of the last run, 0 for the others |
//! | `health_check_duration_seconds` | histogram | `check` | latency of each run |
//! | `health_check_runs_total` | counter | `check`, `status` | runs, by outcome |
//!
//! Recorded once per run, not per request: cached, shared and background results are
//! not counted again. `health_check_duration_seconds` is a histogram; a Prometheus
//! exporter renders it with buckets when given some (see [`DURATION_BUCKETS`]), else as a
//! summary.

use std::sync::Once;

use metrics::Unit;

use super::result::CheckResult;
use crate::check::CheckStatus;

/// Bucket bounds in seconds suited to check latencies: 1 ms (an in-memory flag) to 10 s
/// (past the longest sensible timeout). For `metrics-exporter-prometheus`:
///
/// ```
/// use health_runtime::run::DURATION_BUCKETS;
/// use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
///
/// let builder = PrometheusBuilder::new()
///     .set_buckets_for_metric(
///         Matcher::Full("health_check_duration_seconds".into()),
///         DURATION_BUCKETS,
///     )
///     .expect("non-empty buckets");
/// # let _ = builder;
/// ```
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const STATES: [CheckStatus; 3] = [
    CheckStatus::Healthy,
    CheckStatus::Degraded,
    CheckStatus::Unhealthy,
];

/// Describes every metric to the installed recorder, once it records the first run.
fn describe() {
    static DESCRIBED: Once = Once::new();
    DESCRIBED.call_once(|| {
        metrics::describe_gauge!(
            "health_check_status",
            "Status of the last run of the check: 1 healthy, 0.5 degraded, 0 unhealthy."
        );
        metrics::describe_gauge!(
            "health_check_state",
            "1 for the state of the last run of the check, 0 for the other states."
        );
        metrics::describe_histogram!(
            "health_check_duration_seconds",
            Unit::Seconds,
            "Latency of each run of the check."
        );
        metrics::describe_counter!(
            "health_check_runs_total",
            "Runs of the check, by the status they ended with."
        );
    });
}

pub(crate) fn record(result: &CheckResult) {
    describe();
    let check = result.name().to_owned();
    let status = result.status();
    let value = match status {
        CheckStatus::Healthy => 1.0,
        CheckStatus::Degraded => 0.5,
        CheckStatus::Unhealthy => 0.0,
    };
    metrics::gauge!("health_check_status", "check" => check.clone()).set(value);
    for state in STATES {
        let on = if state == status { 1.0 } else { 0.0 };
        metrics::gauge!("health_check_state", "check" => check.clone(), "state" => state.as_str())
            .set(on);
    }
    metrics::histogram!("health_check_duration_seconds", "check" => check.clone())
        .record(result.latency().as_secs_f64());
    metrics::counter!("health_check_runs_total", "check" => check, "status" => status.as_str())
        .increment(1);
}
