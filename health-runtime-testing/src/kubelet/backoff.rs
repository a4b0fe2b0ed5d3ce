//! CrashLoopBackOff: the kubelet's `flowcontrol.Backoff` of container restarts
//! (`NewBackOff(10s, 300s)`, consulted by `doBackOff` in `kuberuntime_manager.go`).

use std::time::Duration;

/// `backOffPeriod`: the first wait.
pub(crate) const INITIAL: Duration = Duration::from_secs(10);
/// `MaxContainerBackOff`: the longest wait.
pub(crate) const MAX: Duration = Duration::from_secs(300);

/// The backoff entry of the pod's container, in manifest seconds (unscaled).
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// The current window and when `Next` last moved it.
    entry: Option<(Duration, Duration)>,
}

impl Backoff {
    /// How long to wait before restarting a container that finished at `finished`
    /// (`IsInBackOffSince`): nothing the first time, or when the last restart is more than
    /// `2 × MAX` before `finished` (`hasExpired`, the container ran stably); otherwise the
    /// current window, counted from `finished`.
    pub(crate) fn wait(&self, finished: Duration) -> Duration {
        match self.entry {
            Some((window, updated)) if !expired(finished, updated) => window,
            _ => Duration::ZERO,
        }
    }

    /// `Next`: the window after a restart at `now` of a container that finished at
    /// `finished`: 10 s the first time (or after expiry), then doubled up to 300 s.
    pub(crate) fn next(&mut self, finished: Duration, now: Duration) {
        let window = match self.entry {
            Some((window, updated)) if !expired(finished, updated) => (window * 2).min(MAX),
            _ => INITIAL,
        };
        self.entry = Some((window, now));
    }
}

fn expired(event: Duration, updated: Duration) -> bool {
    event.saturating_sub(updated) > MAX * 2
}
