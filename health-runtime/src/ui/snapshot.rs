//! What one rendering of the page shows, taken from the probes (at most four times a
//! second, however many browsers ask) and the history.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::fleet::{Fleet, Instance};
use crate::check::CheckStatus;
use crate::history::{Entry, History, Transition};
use crate::probe::{Exclusions, HealthState, Probe, Prober, Report, Scope};

/// How long the probes' reports are shown again before the page takes new ones.
const REPORTS_FOR: Duration = Duration::from_millis(250);
/// How long the other instances' answers are shown again before they are asked anew.
const FLEET_FOR: Duration = Duration::from_secs(5);
/// How many results the timeline and the sparkline show per check.
pub(super) const SHOWN_RESULTS: usize = 60;
/// How many transitions the page lists, newest first.
pub(super) const SHOWN_TRANSITIONS: usize = 50;

/// The page's sources, and what it took from them last.
pub(super) struct Snapshots {
    prober: Arc<Prober>,
    state: Arc<HealthState>,
    history: Option<History>,
    fleet: Option<Fleet>,
    reports: Mutex<Option<(Instant, Arc<Reports>)>>,
    instances: Mutex<Option<(Instant, Arc<Vec<Instance>>)>>,
}

/// The three probes' answers.
pub(super) struct Reports {
    pub(super) readiness: Report,
    pub(super) liveness: Report,
    pub(super) startup: Report,
}

/// Everything one rendering shows.
pub(super) struct Snapshot {
    pub(super) reports: Arc<Reports>,
    pub(super) shutting_down: bool,
    pub(super) unavailable: Option<Arc<str>>,
    /// The checks, by name; empty when the viewer may not see them.
    pub(super) checks: Vec<CheckView>,
    pub(super) transitions: Vec<(Arc<str>, Transition)>,
    pub(super) fleet: Option<Arc<Vec<Instance>>>,
    pub(super) taken_at: SystemTime,
}

/// One check as the page shows it.
pub(super) struct CheckView {
    pub(super) name: Arc<str>,
    pub(super) probes: String,
    pub(super) critical: bool,
    pub(super) current: Option<Current>,
    /// The last [`SHOWN_RESULTS`], oldest first.
    pub(super) entries: Vec<Entry>,
    pub(super) uptime: Option<f64>,
    pub(super) window: usize,
}

/// A check's latest result.
pub(super) struct Current {
    pub(super) status: CheckStatus,
    pub(super) latency: Duration,
    pub(super) error: Option<String>,
}

impl Snapshots {
    pub(super) fn new(
        prober: Arc<Prober>,
        state: Arc<HealthState>,
        history: Option<History>,
        fleet: Option<Fleet>,
    ) -> Snapshots {
        Snapshots {
            prober,
            state,
            history,
            fleet,
            reports: Mutex::new(None),
            instances: Mutex::new(None),
        }
    }

    /// A snapshot; with `details`, of the checks and the fleet too.
    pub(super) async fn take(&self, details: bool) -> Snapshot {
        let reports = self.reports().await;
        let (checks, transitions) = if details {
            self.checks(&reports)
        } else {
            (Vec::new(), Vec::new())
        };
        let fleet = match (&self.fleet, details) {
            (Some(fleet), true) => Some(self.instances(fleet).await),
            _ => None,
        };
        Snapshot {
            shutting_down: self.state.lifecycle.is_shutting_down(),
            unavailable: self.state.availability.unavailable(),
            reports,
            checks,
            transitions,
            fleet,
            taken_at: SystemTime::now(),
        }
    }

    /// The probes' reports, taken anew when the last are older than [`REPORTS_FOR`]; one
    /// taking at a time, the others wait for it.
    async fn reports(&self) -> Arc<Reports> {
        let mut last = self.reports.lock().await;
        if let Some((taken, reports)) = &*last
            && taken.elapsed() < REPORTS_FOR
        {
            return Arc::clone(reports);
        }
        let none = Exclusions::default();
        let report = |probe| self.prober.report(Scope::Probe(probe), &none);
        let (readiness, liveness, startup) = tokio::join!(
            report(Probe::Readiness),
            report(Probe::Liveness),
            report(Probe::Startup)
        );
        let reports = Arc::new(Reports {
            readiness,
            liveness,
            startup,
        });
        *last = Some((Instant::now(), Arc::clone(&reports)));
        reports
    }

    async fn instances(&self, fleet: &Fleet) -> Arc<Vec<Instance>> {
        let mut last = self.instances.lock().await;
        if let Some((taken, instances)) = &*last
            && taken.elapsed() < FLEET_FOR
        {
            return Arc::clone(instances);
        }
        let instances = Arc::new(fleet.fetch().await);
        *last = Some((Instant::now(), Arc::clone(&instances)));
        instances
    }

    /// Every check of the handle with its latest result, and the transitions of all,
    /// newest first.
    fn checks(&self, reports: &Reports) -> (Vec<CheckView>, Vec<(Arc<str>, Transition)>) {
        let mut checks = self.state.checks();
        checks.sort_by(|a, b| a.name().cmp(b.name()));
        let mut transitions = Vec::new();
        let views = checks
            .iter()
            .map(|check| {
                let name: Arc<str> = Arc::from(check.name());
                let probes: Vec<_> = [Probe::Startup, Probe::Liveness, Probe::Readiness]
                    .into_iter()
                    .filter(|probe| check.runs_in(*probe))
                    .map(Probe::as_str)
                    .collect();
                let recorded = self.history.as_ref().and_then(|h| h.check(&name));
                let (entries, uptime, window) = match &recorded {
                    Some(recorded) => {
                        let all = recorded.entries();
                        let uptime = recorded.uptime();
                        let window = all.len();
                        let shown = all[all.len().saturating_sub(SHOWN_RESULTS)..].to_vec();
                        for transition in recorded.transitions() {
                            transitions.push((Arc::clone(&name), transition));
                        }
                        (shown, uptime, window)
                    }
                    None => (Vec::new(), None, 0),
                };
                let current = entries
                    .last()
                    .map(|entry| Current {
                        status: entry.status(),
                        latency: entry.latency(),
                        error: entry.error().map(str::to_owned),
                    })
                    .or_else(|| reported(reports, &name));
                CheckView {
                    name,
                    probes: probes.join(", "),
                    critical: check.critical,
                    current,
                    entries,
                    uptime,
                    window,
                }
            })
            .collect();
        transitions.sort_by_key(|(_, transition)| std::cmp::Reverse(transition.at()));
        transitions.truncate(SHOWN_TRANSITIONS);
        (views, transitions)
    }
}

/// A check's result in the reports, for a handle without history.
fn reported(reports: &Reports, name: &str) -> Option<Current> {
    [&reports.readiness, &reports.liveness, &reports.startup]
        .into_iter()
        .flat_map(|report| report.checks())
        .find(|result| result.name() == name)
        .map(|result| Current {
            status: result.status(),
            latency: result.latency(),
            error: result.error().map(str::to_owned),
        })
}
