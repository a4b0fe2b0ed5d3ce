//! Background refresh: every check run on a period, so that requests are served the latest
//! results with no I/O of their own.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::runner::{Runner, collect};
use crate::check::Resources;
use crate::history::RanBy;

/// What the refresh loop runs: the runners and the resources their checks use.
pub(crate) trait Refreshed: Send + Sync + 'static {
    fn runners(&self) -> Vec<Arc<Runner>>;
    fn resources(&self) -> &Resources;
    /// Called after each round, once every run of it has finished.
    fn round_finished(&self);
}

/// Refreshes every runner of `target` each `period` until `target` is dropped.
pub(crate) async fn refresh_in_background<T: Refreshed>(target: Weak<T>, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // Held only between rounds, so that dropping the last handle ends the loop.
        let Some(state) = target.upgrade() else {
            return;
        };
        let tickets: Vec<_> = state
            .runners()
            .iter()
            .map(|runner| runner.ticket(state.resources(), RanBy::Background))
            .collect();
        drop(state);
        collect(tickets).await;
        if let Some(state) = target.upgrade() {
            state.round_finished();
        }
    }
}
