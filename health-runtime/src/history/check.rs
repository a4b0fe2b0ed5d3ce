//! One check's record: its last results and its transitions, each in a ring.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::ring::Ring;
use crate::check::CheckStatus;
use health_rules::Probe;

/// What started a run: a probe's request, the background refresh, or a direct call
/// ([`run_checks`](crate::run::run_checks)).
///
/// ```
/// use health_runtime::Probe;
/// use health_runtime::history::RanBy;
///
/// assert_eq!(RanBy::from(Probe::Readiness).as_str(), "readiness");
/// assert_eq!(RanBy::Background.as_str(), "background");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RanBy {
    /// A request of this probe (a tag group counts as readiness, whose gates it obeys).
    Probe(Probe),
    /// The background refresh ([`HealthBuilder::background`](crate::HealthBuilder::background)).
    Background,
    /// A call outside any probe.
    Direct,
}

impl RanBy {
    /// `liveness`, `readiness`, `startup`, `background` or `direct`, as the JSON says.
    pub fn as_str(self) -> &'static str {
        match self {
            RanBy::Probe(probe) => probe.as_str(),
            RanBy::Background => "background",
            RanBy::Direct => "direct",
        }
    }
}

impl From<Probe> for RanBy {
    fn from(probe: Probe) -> RanBy {
        RanBy::Probe(probe)
    }
}

/// One run of a check, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub(super) status: CheckStatus,
    pub(super) latency: Duration,
    pub(super) error: Option<Arc<str>>,
    pub(super) ran_by: RanBy,
    pub(super) at: SystemTime,
}

impl Entry {
    /// The status the run was reported with.
    pub fn status(&self) -> CheckStatus {
        self.status
    }

    /// How long the run took.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The error or degradation message, redacted like the report's.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// What started the run.
    pub fn ran_by(&self) -> RanBy {
        self.ran_by
    }

    /// When the run finished.
    pub fn at(&self) -> SystemTime {
        self.at
    }
}

/// A change of a check's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub(super) at: SystemTime,
    pub(super) from: Option<CheckStatus>,
    pub(super) to: CheckStatus,
    pub(super) error: Option<Arc<str>>,
}

impl Transition {
    /// When the run that changed the status finished.
    pub fn at(&self) -> SystemTime {
        self.at
    }

    /// The status before; `None` for the check's first result.
    pub fn from(&self) -> Option<CheckStatus> {
        self.from
    }

    /// The status after.
    pub fn to(&self) -> CheckStatus {
        self.to
    }

    /// The error of the run that changed the status, when it is not healthy.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// How many transitions a check keeps at most: a stable check's last few reach back far
/// beyond its results, and a flapping one's would only repeat them.
pub(super) const MAX_TRANSITIONS: usize = 64;

/// The record of one check: its last results (up to the history's capacity) and its last
/// transitions (up to 64, or the capacity if smaller), from which its uptime over the
/// window follows.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use health_runtime::{Check, CheckStatus, Health, Probe};
///
/// let health = Health::builder()
///     .without_registered()
///     .check(Check::new("flag", || async { false }))
///     .build()
///     .unwrap();
/// let app: axum::Router = health.router();
/// # use tower::ServiceExt;
/// let request = axum::http::Request::get("/health/ready").body(axum::body::Body::empty());
/// let response = app.oneshot(request.unwrap()).await.unwrap();
/// assert_eq!(response.status(), 503);
///
/// let flag = health.history().unwrap().check("flag").unwrap();
/// let last = flag.last().unwrap();
/// assert_eq!(last.status(), CheckStatus::Unhealthy);
/// assert_eq!(last.ran_by().as_str(), "readiness");
/// assert_eq!(flag.transitions()[0].to(), CheckStatus::Unhealthy);
/// assert_eq!(flag.uptime(), Some(0.0));
/// # }
/// ```
pub struct CheckHistory {
    name: Arc<str>,
    rings: Mutex<Rings>,
}

struct Rings {
    results: Ring<Entry>,
    transitions: Ring<Transition>,
    last: Option<CheckStatus>,
}

impl std::fmt::Debug for CheckHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckHistory")
            .field("name", &self.name)
            .field("results", &self.lock().results.len())
            .finish_non_exhaustive()
    }
}

impl CheckHistory {
    pub(super) fn new(name: Arc<str>, capacity: usize) -> CheckHistory {
        CheckHistory {
            name,
            rings: Mutex::new(Rings {
                results: Ring::new(capacity),
                transitions: Ring::new(capacity.min(MAX_TRANSITIONS)),
                last: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Rings> {
        self.rings
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Records one run: one push into a ring allocated up front (and one more on a change
    /// of status); the error is shared with the result, not copied.
    pub(crate) fn record(
        &self,
        status: CheckStatus,
        latency: Duration,
        error: Option<&Arc<str>>,
        ran_by: RanBy,
        at: SystemTime,
    ) {
        let mut rings = self.lock();
        rings.results.push(Entry {
            status,
            latency,
            error: error.cloned(),
            ran_by,
            at,
        });
        if rings.last != Some(status) {
            let from = rings.last.replace(status);
            rings.transitions.push(Transition {
                at,
                from,
                to: status,
                error: error.cloned(),
            });
        }
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The results kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().results.iter().cloned().collect()
    }

    /// The latest result.
    pub fn last(&self) -> Option<Entry> {
        self.lock().results.last().cloned()
    }

    /// The transitions kept, oldest first; the first is from `None` when it is still
    /// in the window.
    pub fn transitions(&self) -> Vec<Transition> {
        self.lock().transitions.iter().cloned().collect()
    }

    /// The share of the results kept that were healthy or degraded (0.0 ..= 1.0); `None`
    /// before the first.
    pub fn uptime(&self) -> Option<f64> {
        let rings = self.lock();
        uptime_of(rings.results.iter())
    }
}

pub(super) fn uptime_of<'a>(entries: impl Iterator<Item = &'a Entry>) -> Option<f64> {
    let (up, all) = entries.fold((0u32, 0u32), |(up, all), entry| {
        let is_up = entry.status != CheckStatus::Unhealthy;
        (up + u32::from(is_up), all + 1)
    });
    (all > 0).then(|| f64::from(up) / f64::from(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_results_transitions_and_uptime_within_the_window() {
        let history = CheckHistory::new(Arc::from("db"), 4);
        let error: Arc<str> = Arc::from("connection refused");
        let at = SystemTime::UNIX_EPOCH;
        let ms = Duration::from_millis;
        let statuses = [
            CheckStatus::Healthy,
            CheckStatus::Healthy,
            CheckStatus::Unhealthy,
            CheckStatus::Unhealthy,
            CheckStatus::Healthy,
            CheckStatus::Degraded,
        ];
        for (i, status) in statuses.into_iter().enumerate() {
            let failed = (status != CheckStatus::Healthy).then_some(&error);
            let ran_by = RanBy::Probe(Probe::Readiness);
            history.record(status, ms(i as u64), failed, ran_by, at + ms(i as u64));
        }
        let entries = history.entries();
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0].latency(),
            ms(2),
            "the oldest two left the window"
        );
        assert_eq!(history.last().unwrap().status(), CheckStatus::Degraded);
        assert_eq!(history.uptime(), Some(0.5));
        let transitions: Vec<_> = history
            .transitions()
            .iter()
            .map(|t| (t.from(), t.to(), t.at()))
            .collect();
        assert_eq!(
            transitions,
            [
                (None, CheckStatus::Healthy, at),
                (
                    Some(CheckStatus::Healthy),
                    CheckStatus::Unhealthy,
                    at + ms(2)
                ),
                (
                    Some(CheckStatus::Unhealthy),
                    CheckStatus::Healthy,
                    at + ms(4)
                ),
                (
                    Some(CheckStatus::Healthy),
                    CheckStatus::Degraded,
                    at + ms(5)
                ),
            ]
        );
        assert_eq!(history.transitions()[1].error(), Some("connection refused"));
        assert!(
            Arc::ptr_eq(entries[0].error.as_ref().unwrap(), &error),
            "shared, not copied"
        );
    }

    #[test]
    fn a_result_and_a_transition_take_at_most_64_bytes() {
        // What `HealthBuilder::history` promises, and the memory figure of BENCHMARKS.md.
        assert!(
            std::mem::size_of::<Entry>() <= 64,
            "{}",
            std::mem::size_of::<Entry>()
        );
        assert!(std::mem::size_of::<Transition>() <= 64);
    }
}
