//! The probes over a set of checks: which checks a request covers, and the gates every
//! route of a probe obeys — startup latches once its checks pass; readiness (and every
//! readiness-like route: a single check, a tag group, a run with exclusions) answers
//! `not_ready` until then, `unavailable` while the application says so, and
//! `shutting_down` from the start of shutdown; liveness answers `broken` once the
//! application marked itself broken.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::HealthState;
use super::report::{Report, ReportStatus, Verdict};
use crate::run::{CheckResult, Runner, clock, collect};
use health_rules::{Probe, ProbeSet};

const STILL_INITIALISING: &str = "Service is still initialising";

/// The probes over one set of checks, with its own startup latch.
pub(crate) struct Prober {
    state: Arc<HealthState>,
    /// Ordered by name, as reports list them.
    runners: Box<[Arc<Runner>]>,
    started: AtomicBool,
    has_liveness_checks: bool,
}

/// What one request covers.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// The checks of a probe.
    Probe(Probe),
    /// The checks carrying one of these tags, gated like readiness.
    Tags(&'a [String]),
    /// One check, gated like its probe.
    Check(Probe, &'a Arc<Runner>),
}

impl Scope<'_> {
    /// The probe whose gates apply.
    fn probe(self) -> Probe {
        match self {
            Scope::Probe(probe) | Scope::Check(probe, _) => probe,
            Scope::Tags(_) => Probe::Readiness,
        }
    }
}

/// What a report of a probe would say, as far as it can be known without running it:
/// two whole-probe reports taken under the same stamp are the same report, their `age_ms`
/// exact to the millisecond. See [`Prober::stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// Results recorded so far by the probe's checks, all of them reused.
    recorded: u64,
    /// Changes of the application's availability so far.
    availability: u64,
    /// The millisecond of the clock the report was taken in.
    millisecond: u64,
}

/// What answers a probe before its checks do. [`Prober::gate`] is the one place that
/// decides it: the reports of every route of the probe and the stamp of a reused report
/// both read it, so a gate cannot be added to one and missed by the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Nothing stands in the way: the checks answer.
    Open,
    /// Readiness from the start of shutdown.
    ShuttingDown,
    /// Readiness while the application says it is unavailable.
    Unavailable,
    /// Readiness until startup latched: the startup checks run first.
    NotStarted,
    /// Liveness once the application marked itself broken.
    Broken,
    /// Startup once latched: a constant answer.
    Latched,
}

/// The checks a request leaves out (`?exclude=`).
#[derive(Default)]
pub(crate) struct Exclusions(HashSet<String>);

impl Exclusions {
    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A request naming checks that are not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unresolved {
    NoSuchCheck(String),
    NotInProbe {
        name: String,
        probe: Probe,
        runs_in: ProbeSet,
    },
    EmptyExclusion,
    UnknownExclusion(String),
}

/// The longest piece of a request echoed in a message.
const MAX_ECHO: usize = 64;

fn echo(text: &str) -> String {
    text.chars().take(MAX_ECHO).collect()
}

impl Prober {
    pub(crate) fn new(state: Arc<HealthState>, mut runners: Vec<Arc<Runner>>) -> Self {
        runners.sort_by(|a, b| a.check().name().cmp(b.check().name()));
        let started = !runners.iter().any(|r| r.check().runs_in(Probe::Startup));
        let has_liveness_checks = runners.iter().any(|r| r.check().runs_in(Probe::Liveness));
        state.ensure_background();
        Prober {
            state,
            runners: runners.into_boxed_slice(),
            started: AtomicBool::new(started),
            has_liveness_checks,
        }
    }

    /// The check named `name`, as a scope of `probe`.
    pub(crate) fn check(&self, probe: Probe, name: &str) -> Result<Scope<'_>, Unresolved> {
        let runner = self
            .runners
            .iter()
            .find(|runner| runner.check().name() == name)
            .ok_or_else(|| Unresolved::NoSuchCheck(echo(name)))?;
        let check = runner.check();
        if !check.runs_in(probe) {
            return Err(Unresolved::NotInProbe {
                name: check.name().to_owned(),
                probe,
                runs_in: check.probes,
            });
        }
        Ok(Scope::Check(probe, runner))
    }

    /// The exclusions of `?exclude=a,b`: each name must be one of this prober's checks.
    pub(crate) fn exclusions<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<Exclusions, Unresolved> {
        let mut excluded = HashSet::new();
        for name in names.into_iter().map(str::trim) {
            if name.is_empty() {
                return Err(Unresolved::EmptyExclusion);
            }
            if !self.runners.iter().any(|r| r.check().name() == name) {
                return Err(Unresolved::UnknownExclusion(echo(name)));
            }
            excluded.insert(name.to_owned());
        }
        Ok(Exclusions(excluded))
    }

    /// What `error` says; `reveal` adds the names of the checks that exist, which a public
    /// (status-only) view must not see.
    pub(crate) fn describe(&self, error: &Unresolved, reveal: bool) -> String {
        let known = || {
            if !reveal {
                return String::new();
            }
            let names: Vec<_> = self.runners.iter().map(|r| r.check().name()).collect();
            let names = if names.is_empty() {
                "(none)".to_owned()
            } else {
                names.join(", ")
            };
            format!("; the checks are: {names}")
        };
        match error {
            Unresolved::NoSuchCheck(name) => format!("no health check named `{name}`{}", known()),
            Unresolved::NotInProbe {
                name,
                probe,
                runs_in,
            } if reveal => {
                let runs_in: Vec<_> = runs_in.iter().map(Probe::as_str).collect();
                format!(
                    "health check `{name}` does not run in {probe}; it runs in: {}",
                    runs_in.join(", ")
                )
            }
            Unresolved::NotInProbe { name, .. } => format!("no health check named `{name}`"),
            Unresolved::EmptyExclusion => {
                "empty check name in `exclude`; expected `?exclude=name1,name2`".to_owned()
            }
            Unresolved::UnknownExclusion(name) => {
                format!("unknown check `{name}` in `exclude`{}", known())
            }
        }
    }

    /// The answer of `probe` when it runs nothing: liveness without liveness checks (unless
    /// broken), and startup once latched.
    pub(crate) fn settled(&self, probe: Probe) -> Option<ReportStatus> {
        match self.gate(probe) {
            Gate::Open if probe == Probe::Liveness && !self.has_liveness_checks => {
                Some(ReportStatus::Alive)
            }
            Gate::Latched => Some(ReportStatus::Started),
            _ => None,
        }
    }

    /// The gate that answers `probe` now, read without a lock.
    fn gate(&self, probe: Probe) -> Gate {
        match probe {
            Probe::Readiness if self.state.lifecycle.is_shutting_down() => Gate::ShuttingDown,
            Probe::Readiness if self.state.availability.is_unavailable() => Gate::Unavailable,
            Probe::Readiness if !self.started.load(Ordering::Acquire) => Gate::NotStarted,
            Probe::Liveness if self.is_broken() => Gate::Broken,
            Probe::Startup if self.started.load(Ordering::Acquire) => Gate::Latched,
            _ => Gate::Open,
        }
    }

    /// The answer of a gate that answers alone (all but [`Gate::Open`] and
    /// [`Gate::NotStarted`], which runs the startup checks first).
    fn gated(&self, gate: Gate) -> Option<Report> {
        // The reasons are read after the gate: one that was withdrawn since is shown empty
        // rather than letting the answer change its mind half-way.
        let reason = |reason: Option<Arc<str>>| reason.unwrap_or_else(|| Arc::from(""));
        Some(match gate {
            Gate::Open | Gate::NotStarted => return None,
            Gate::ShuttingDown => Report::new(ReportStatus::ShuttingDown, Vec::new()),
            Gate::Unavailable => Report::new(ReportStatus::Unavailable, Vec::new())
                .with_reason(reason(self.state.availability.unavailable())),
            Gate::Broken => Report::new(ReportStatus::Broken, Vec::new())
                .with_reason(reason(self.state.availability.broken())),
            Gate::Latched => Report::new(ReportStatus::Started, Vec::new()),
        })
    }

    /// The stamp of `probe`'s whole report now, when it would run nothing: no gate stands
    /// in the way and each of its checks reuses a fresh result. `None` when serving the
    /// report means running a check, or a gate answers instead; startup has no stamp (it
    /// is a constant once latched).
    pub(crate) fn stamp(&self, probe: Probe) -> Option<Stamp> {
        let availability = self.state.availability.changes_so_far();
        if probe == Probe::Startup || self.gate(probe) != Gate::Open {
            return None;
        }
        let now = clock(tokio::time::Instant::now());
        let mut recorded = 0u64;
        for runner in &self.runners {
            if runner.check().runs_in(probe) {
                recorded = recorded.wrapping_add(runner.reused(now)?);
            }
        }
        Some(Stamp {
            recorded,
            availability,
            millisecond: now / 1_000_000,
        })
    }

    /// The report of `scope` without the `exclude`d checks, after the probe's gates.
    pub(crate) async fn report(&self, scope: Scope<'_>, exclude: &Exclusions) -> Report {
        self.state.ensure_background();
        let report = match scope.probe() {
            Probe::Liveness => self.liveness(scope, exclude).await,
            Probe::Startup => self.startup(scope, exclude).await,
            Probe::Readiness => self.readiness(scope, exclude).await,
        };
        if let Scope::Probe(probe) = scope
            && exclude.is_empty()
        {
            self.state.probe_reported(probe, report.status());
        }
        report
    }

    fn is_broken(&self) -> bool {
        self.state.availability.is_broken()
    }

    async fn liveness(&self, scope: Scope<'_>, exclude: &Exclusions) -> Report {
        if let Some(report) = self.gated(self.gate(Probe::Liveness)) {
            return report;
        }
        let results = self.run(scope, exclude).await;
        if let Scope::Check(..) = scope {
            return Report::with_checks(one_check_status(&results, Probe::Liveness), results);
        }
        let status = match Verdict::of(&results) {
            Verdict::Fail => ReportStatus::Unhealthy,
            Verdict::Pass | Verdict::Degraded => ReportStatus::Alive,
        };
        Report::new(status, results)
    }

    /// Runs the startup checks unless startup already latched; latches when they all pass.
    async fn startup(&self, scope: Scope<'_>, exclude: &Exclusions) -> Report {
        if let Some(report) = self.gated(self.gate(Probe::Startup)) {
            return report;
        }
        let results = self.run(scope, exclude).await;
        if let Scope::Check(..) = scope {
            return Report::with_checks(one_check_status(&results, Probe::Startup), results);
        }
        if Verdict::of(&results) == Verdict::Fail {
            return Report::new(ReportStatus::Starting, results).with_detail(STILL_INITIALISING);
        }
        // A partial run (with exclusions) answers, but only the whole set latches.
        if exclude.is_empty() && !self.started.swap(true, Ordering::AcqRel) {
            tracing::info!("startup checks passed; startup latched");
        }
        Report::new(ReportStatus::Started, results)
    }

    async fn readiness(&self, scope: Scope<'_>, exclude: &Exclusions) -> Report {
        let gate = self.gate(Probe::Readiness);
        if let Some(report) = self.gated(gate) {
            return report;
        }
        if gate == Gate::NotStarted {
            let startup = self
                .startup(Scope::Probe(Probe::Startup), &Exclusions::default())
                .await;
            if startup.status() != ReportStatus::Started {
                return Report::with_checks(ReportStatus::NotReady, startup.checks().to_vec())
                    .with_detail(STILL_INITIALISING);
            }
        }
        let results = self.run(scope, exclude).await;
        let status = match scope {
            Scope::Check(..) => one_check_status(&results, Probe::Readiness),
            _ => match Verdict::of(&results) {
                Verdict::Pass => ReportStatus::Ready,
                Verdict::Degraded => ReportStatus::Degraded,
                Verdict::Fail => ReportStatus::NotReady,
            },
        };
        Report::with_checks(status, results)
    }

    /// Runs (or reuses) the checks of `scope` not excluded, concurrently.
    async fn run(&self, scope: Scope<'_>, exclude: &Exclusions) -> Vec<CheckResult> {
        let resources = &self.state.resources;
        if let Scope::Check(_, runner) = scope {
            return collect([runner.ticket(resources, scope.probe().into())]).await;
        }
        let tickets: Vec<_> = self
            .runners
            .iter()
            .filter(|runner| {
                let check = runner.check();
                let in_scope = match scope {
                    Scope::Probe(probe) => check.runs_in(probe),
                    Scope::Tags(tags) => check.has_any_tag(tags),
                    Scope::Check(..) => unreachable!("handled above"),
                };
                in_scope && !exclude.contains(check.name())
            })
            .map(|runner| runner.ticket(resources, scope.probe().into()))
            .collect();
        collect(tickets).await
    }
}

/// A single check's route fails when its check is unhealthy, critical or not.
fn one_check_status(results: &[CheckResult], probe: Probe) -> ReportStatus {
    let healthy = results.iter().all(CheckResult::is_healthy);
    match (probe, healthy) {
        (Probe::Startup, true) => ReportStatus::Started,
        (Probe::Startup, false) => ReportStatus::Starting,
        (Probe::Readiness, true) => ReportStatus::Ready,
        (Probe::Readiness, false) => ReportStatus::NotReady,
        (Probe::Liveness, true) => ReportStatus::Alive,
        (Probe::Liveness, false) => ReportStatus::Unhealthy,
    }
}
