//! Background refresh: each check run on its own schedule, so that requests are served the
//! latest results with no I/O of their own.

use std::sync::{Arc, Weak};

use health_rules::Probe;
use tokio::time::Instant;

use super::runner::Runner;
use super::schedule::Random;
use crate::check::{CheckStatus, Resources};
use crate::history::RanBy;

/// What the refresh runs against: the resources the checks use, and who hears of each run.
pub(crate) trait Refreshed: Send + Sync + 'static {
    fn resources(&self) -> &Resources;
    /// Called after each background run, once it has finished.
    fn round_finished(&self);
}

/// Refreshes `runner` on its schedule until `target` is dropped: its first run after the
/// initial delay and its phase, each next one a jittered period after the previous one
/// started (a later one when the run took longer), backing off while it fails.
///
/// Only a check that serves readiness alone backs off: it watches a dependency, which its
/// backoff spares during an outage. A startup or liveness check watches the process itself
/// (a model loading, a stuck loop): backing off would hide that the model loaded until the
/// startup budget ran out, or that a loop recovered until the kubelet restarted the pod.
pub(crate) async fn refresh_in_background<T: Refreshed>(target: Weak<T>, runner: Arc<Runner>) {
    let Some(schedule) = runner.schedule() else {
        return;
    };
    let mut random = Random::seeded(runner.check().name());
    let check = runner.check();
    let backs_off = !check.runs_in(Probe::Startup) && !check.runs_in(Probe::Liveness);
    let mut due = Instant::now() + schedule.first_delay();
    let mut failures = 0u32;
    loop {
        tokio::time::sleep_until(due).await;
        // Held only between runs, so that dropping the last handle ends the loop.
        let Some(state) = target.upgrade() else {
            return;
        };
        let ticket = runner.ticket(state.resources(), RanBy::Background);
        drop(state);
        let result = ticket.result().await;
        // The raw status, not the one the thresholds count: a run that failed backs off.
        let status = result.counted.map_or(result.status, |counted| counted.last);
        failures = if backs_off && status == CheckStatus::Unhealthy {
            failures.saturating_add(1)
        } else {
            0
        };
        let Some(state) = target.upgrade() else {
            return;
        };
        state.round_finished();
        drop(state);
        // From the scheduled instant, as an interval does (wake-up latency never shifts
        // the phase); at once when a run overran the next one.
        due = (due + schedule.next_delay(failures, &mut random)).max(Instant::now());
    }
}
