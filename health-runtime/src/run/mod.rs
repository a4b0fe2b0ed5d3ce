//! Running checks: all of a probe concurrently, each under its timeout, panics caught, what
//! a run reports scrubbed of secrets (by [`redact`](crate::redact)), and (when configured) results reused — shared by
//! concurrent requests, cached for a TTL, or refreshed in the background.

mod background;
pub(crate) mod change;
#[cfg(feature = "metrics")]
mod metrics;
mod panics;
pub(crate) mod result;
mod runner;
pub(crate) mod schedule;

pub(crate) use result::CheckResult;

pub(crate) use background::{Refreshed, refresh_in_background};
pub(crate) use change::Hooks;
pub(crate) use runner::{Reuse, Runner, clock, collect};

#[cfg(feature = "metrics")]
pub use metrics::DURATION_BUCKETS;

use crate::check::{Check, Resources};
use crate::history::RanBy;

/// Runs `checks` concurrently, once each, and returns their results in the same order.
///
/// Each run is polled once in place and, unless it finished there, spawned as its own task
/// bounded by its check's timeout, so the whole takes as long as the slowest check (never
/// the sum), a hung dependency yields `Timeout after {timeout_ms}ms`, a panic yields
/// `check panicked: ...`, and a run never outlives its timeout, even when the caller goes
/// away. Like any async code, a check must not block its thread: wrap blocking calls in
/// `tokio::task::spawn_blocking`, or the timeout cannot fire until the call returns.
///
/// ```
/// use health_runtime::{Check, CheckStatus};
/// use health_runtime::check::Resources;
/// use health_runtime::run::run_checks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let checks = [
///     Check::new("up", || async { true }),
///     Check::new("down", || async { Err::<(), _>("connection refused") }),
/// ];
/// let results = run_checks(&checks, &Resources::default()).await;
/// assert_eq!(results[0].status(), CheckStatus::Healthy);
/// assert_eq!(results[1].error(), Some("connection refused"));
/// # }
/// ```
pub async fn run_checks<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
    resources: &Resources,
) -> Vec<CheckResult> {
    let runners: Vec<_> = checks
        .into_iter()
        .map(|check| Runner::new(check.clone(), Reuse::default(), Hooks::default()))
        .collect();
    collect(
        runners
            .iter()
            .map(|runner| runner.ticket(resources, RanBy::Direct)),
    )
    .await
}
