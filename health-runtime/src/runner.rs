//! Runs checks: all of a probe concurrently, each under its timeout, panics caught.

use std::any::Any;
use std::sync::Arc;

use tokio::task::JoinError;
use tokio::time::Instant;

use crate::redact::public_error;
use crate::{Check, CheckOutcome, CheckResult, CheckStatus, Resources};

/// Runs `checks` concurrently and returns their results in the same order.
///
/// Each run is spawned as its own task bounded by its check's timeout, so a report takes
/// as long as its slowest check (never the sum), a hung dependency yields
/// `Timeout after {timeout_ms}ms`, a panic yields `check panicked: ...`, and a run outlives
/// neither its timeout nor a dropped request by more than that timeout.
pub async fn run_checks<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
    resources: &Resources,
) -> Vec<CheckResult> {
    let started = Instant::now();
    let runs: Vec<_> = checks
        .into_iter()
        .map(|check| {
            let future = check.start(resources);
            let timeout = check.timeout_duration();
            let task = tokio::spawn(async move {
                let started = Instant::now();
                let outcome = tokio::time::timeout(timeout, future).await;
                (outcome, started.elapsed())
            });
            (check, task)
        })
        .collect();

    let mut results = Vec::with_capacity(runs.len());
    for (check, mut task) in runs {
        let deadline = started + check.timeout_duration();
        // The task bounds itself; this outer bound also covers a check that blocks its
        // worker thread and so never lets its own timer fire.
        let (outcome, latency) = match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(Ok((Ok(outcome), latency))) => (outcome, latency),
            Ok(Ok((Err(_elapsed), latency))) => (timed_out(check), latency),
            Ok(Err(join_error)) => (panicked(check, join_error), started.elapsed()),
            Err(_elapsed) => {
                task.abort();
                (timed_out(check), started.elapsed())
            }
        };
        results.push(result_of(check, outcome, latency));
    }
    results
}

fn result_of(check: &Check, outcome: CheckOutcome, latency: std::time::Duration) -> CheckResult {
    let (status, message, details) = outcome.into_parts();
    if let Some(message) = &message
        && status != CheckStatus::Healthy
    {
        tracing::debug!(check = check.name(), ?status, error = %message, "health check not healthy");
    }
    CheckResult {
        name: Arc::from(check.name()),
        status,
        latency,
        error: message.map(public_error),
        critical: check.is_critical(),
        details,
    }
}

fn timed_out(check: &Check) -> CheckOutcome {
    CheckOutcome::unhealthy(format!(
        "Timeout after {}ms",
        check.timeout_duration().as_millis()
    ))
}

fn panicked(check: &Check, error: JoinError) -> CheckOutcome {
    let reason = match error.try_into_panic() {
        Ok(payload) => panic_message(payload.as_ref()).to_owned(),
        Err(error) => error.to_string(),
    };
    tracing::error!(check = check.name(), panic = %reason, "health check panicked");
    CheckOutcome::unhealthy(format!("check panicked: {reason}"))
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "non-string panic payload"
    }
}
