//! What every router and transport built from one `Health` shares: the resources, the
//! lifecycle, and one runner per check, so that caching, single-flight and background
//! refresh are the same whichever route or protocol asks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use super::report::ReportStatus;
use super::{Availability, Lifecycle};
use crate::check::{Check, Resources};
use crate::run::change::{StatusChange, Subject};
use crate::run::schedule::{self, Schedule, Spread};
use crate::run::{Hooks, Refreshed, Reuse, Runner, refresh_in_background};
use health_rules::Probe;

/// How results are reused: a TTL for every check, per-check TTLs, or background refresh;
/// and how the runs of a fleet of replicas are spread.
#[derive(Debug, Clone)]
pub(crate) struct ReuseSettings {
    pub(crate) ttl: Duration,
    pub(crate) ttl_for: HashMap<String, Duration>,
    pub(crate) background: Option<Duration>,
    pub(crate) initial_delay: Duration,
    /// Whether runs are spread at all (phase, jitter and backoff).
    pub(crate) spread: bool,
    pub(crate) jitter: f64,
    pub(crate) max_backoff: Option<Duration>,
    /// The replica's identity, as set on the builder; `None`: from the environment.
    pub(crate) identity: Option<String>,
}

impl Default for ReuseSettings {
    fn default() -> Self {
        ReuseSettings {
            ttl: Duration::ZERO,
            ttl_for: HashMap::new(),
            background: None,
            initial_delay: Duration::ZERO,
            spread: true,
            jitter: schedule::DEFAULT_JITTER,
            max_backoff: None,
            identity: None,
        }
    }
}

impl ReuseSettings {
    /// Resolves the replica's identity once, from the environment unless set.
    pub(crate) fn resolve_identity(&mut self) {
        if self.identity.is_none() {
            self.identity = Some(schedule::identity_from_env());
        }
    }

    fn spread_for(&self, name: &str) -> Spread {
        if !self.spread {
            return Spread::NONE;
        }
        Spread {
            phase: schedule::phase(self.identity.as_deref().unwrap_or(""), name),
            jitter: self.jitter,
            max_backoff: self.max_backoff,
        }
    }

    fn reuse_for(&self, check: &Check) -> Reuse {
        let name = check.name();
        let spread = self.spread_for(name);
        let background = check.background.or(self.background).map(|period| Schedule {
            period,
            initial_delay: check.initial_delay.unwrap_or(self.initial_delay),
            spread,
        });
        Reuse {
            ttl: self.ttl_for.get(name).copied().unwrap_or(self.ttl),
            background,
            spread,
        }
    }
}

/// The state shared by everything one `Health` serves.
pub(crate) struct HealthState {
    pub(crate) resources: Resources,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) availability: Availability,
    pub(crate) hooks: Hooks,
    /// The last status of each probe's whole report, for its status-change hooks.
    probe_status: Mutex<[Option<ReportStatus>; 3]>,
    reuse: ReuseSettings,
    /// One runner per check: the handle's own checks first, then any check a router
    /// selected that the handle did not have.
    runners: Mutex<Vec<Arc<Runner>>>,
    /// How many of `runners` are the handle's own checks.
    own: usize,
    /// How many of those were added with the builder (they come first).
    builder: usize,
    refreshing: AtomicBool,
    /// Marked changed after each round of background refresh.
    rounds: watch::Sender<()>,
}

impl HealthState {
    /// The state over `checks`, of which the first `builder` were added with the builder.
    pub(crate) fn new(
        checks: Vec<Check>,
        builder: usize,
        reuse: ReuseSettings,
        hooks: Hooks,
    ) -> Arc<HealthState> {
        let resources = Resources::default();
        for secret in checks.iter().flat_map(|check| &check.secrets) {
            resources.secrets().add(&**secret);
        }
        let runners: Vec<_> = checks
            .into_iter()
            .map(|check| {
                let reuse = reuse.reuse_for(&check);
                Runner::new(check, reuse, hooks.clone())
            })
            .collect();
        Arc::new(HealthState {
            resources,
            lifecycle: Lifecycle::default(),
            availability: Availability::default(),
            hooks,
            probe_status: Mutex::new([None; 3]),
            reuse,
            own: runners.len(),
            builder,
            runners: Mutex::new(runners),
            refreshing: AtomicBool::new(false),
            rounds: watch::channel(()).0,
        })
    }

    fn table(&self) -> MutexGuard<'_, Vec<Arc<Runner>>> {
        self.runners
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The handle's own checks, in the order they were added.
    pub(crate) fn checks(&self) -> Vec<Check> {
        self.table()[..self.own]
            .iter()
            .map(|runner| runner.check().clone())
            .collect()
    }

    /// The checks added with the builder.
    pub(crate) fn builder_checks(&self) -> Vec<Check> {
        self.table()[..self.builder]
            .iter()
            .map(|runner| runner.check().clone())
            .collect()
    }

    /// The runners of the handle's own checks.
    pub(crate) fn own_runners(&self) -> Vec<Arc<Runner>> {
        self.table()[..self.own].to_vec()
    }

    /// The runner of `check`: the shared one when the handle has this check, else a new
    /// one, kept so that background refresh covers it too.
    pub(crate) fn runner_for(self: &Arc<Self>, check: &Check) -> Arc<Runner> {
        let mut table = self.table();
        let same = |runner: &&Arc<Runner>| {
            runner.check().name() == check.name() && runner.check().source() == check.source()
        };
        if let Some(runner) = table.iter().find(same) {
            return Arc::clone(runner);
        }
        for secret in &check.secrets {
            self.resources.secrets().add(&**secret);
        }
        let runner = Runner::new(
            check.clone(),
            self.reuse.reuse_for(check),
            self.hooks.clone(),
        );
        table.push(Arc::clone(&runner));
        if self.refreshing.load(Ordering::Acquire) && runner.schedule().is_some() {
            tokio::spawn(refresh_in_background(
                Arc::downgrade(self),
                Arc::clone(&runner),
            ));
        }
        runner
    }

    /// Notes the status of `probe`'s whole report; calls the hooks when it changed.
    pub(crate) fn probe_reported(&self, probe: Probe, status: ReportStatus) {
        if self.hooks.is_empty() {
            return;
        }
        let index = match probe {
            Probe::Liveness => 0,
            Probe::Readiness => 1,
            Probe::Startup => 2,
        };
        let previous = {
            let mut last = self
                .probe_status
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            last[index].replace(status)
        };
        if previous != Some(status) {
            self.hooks.fire(&StatusChange {
                subject: Subject::Probe(probe),
                from: previous.map(ReportStatus::as_str),
                to: status.as_str(),
                error: None,
            });
        }
    }

    /// Changes after each round of background refresh; `None` without background refresh.
    #[cfg(feature = "grpc")]
    pub(crate) fn refresh_rounds(&self) -> Option<watch::Receiver<()>> {
        self.table()
            .iter()
            .any(|runner| runner.schedule().is_some())
            .then(|| self.rounds.subscribe())
    }

    /// Starts the background refresh, once, when configured and inside a tokio runtime.
    pub(crate) fn ensure_background(self: &Arc<Self>) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        // Under the table's lock, so that a runner added meanwhile is refreshed once.
        let table = self.table();
        if !table.iter().any(|runner| runner.schedule().is_some()) {
            return;
        }
        if !self.refreshing.swap(true, Ordering::AcqRel) {
            for runner in table.iter().filter(|runner| runner.schedule().is_some()) {
                tokio::spawn(refresh_in_background(
                    Arc::downgrade(self),
                    Arc::clone(runner),
                ));
            }
        }
    }
}

impl Refreshed for HealthState {
    fn resources(&self) -> &Resources {
        &self.resources
    }

    fn round_finished(&self) {
        self.rounds.send_replace(());
    }
}
