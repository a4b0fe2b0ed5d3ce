//! Status-change hooks: what `HealthBuilder::on_change` calls once per transition of a
//! check or of a probe — the same events the transition log records.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::check::CheckStatus;
use crate::history::{CheckHistory, History};
use health_rules::Probe;

/// What changed status: one check, or a whole probe's report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// The check of this name.
    Check(Arc<str>),
    /// The report of this probe (its route without `?exclude=`).
    Probe(Probe),
}

/// One transition, as handed to the hooks of
/// [`HealthBuilder::on_change`](crate::HealthBuilder::on_change). Statuses are the
/// strings of the JSON report: a check's `healthy`, `degraded`, `unhealthy`; a probe's
/// `ready`, `not_ready`, `shutting_down`, …
///
/// ```
/// use health_runtime::report::{StatusChange, Subject};
///
/// fn describe(change: &StatusChange) -> String {
///     let what = match &change.subject {
///         Subject::Check(name) => format!("check {name}"),
///         Subject::Probe(probe) => format!("probe {}", probe.as_str()),
///         _ => "something".to_owned(),
///     };
///     let from = change.from.unwrap_or("unknown");
///     format!("{what}: {from} -> {}", change.to)
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusChange {
    /// The check or probe that changed.
    pub subject: Subject,
    /// The status before, `None` for the first result.
    pub from: Option<&'static str>,
    /// The status now.
    pub to: &'static str,
    /// A check's error (scrubbed of secrets) when it is not healthy.
    pub error: Option<String>,
}

pub(crate) type Hook = dyn Fn(&StatusChange) + Send + Sync;

/// The hooks of one `Health`, shared by its runners and probes, and the history its runs
/// are recorded in.
#[derive(Clone, Default)]
pub(crate) struct Hooks(Arc<Vec<Box<Hook>>>, Option<History>);

impl Hooks {
    pub(crate) fn new(hooks: Vec<Box<Hook>>) -> Hooks {
        Hooks(Arc::new(hooks), None)
    }

    /// Records every run in `history` as well.
    pub(crate) fn with_history(mut self, history: Option<History>) -> Hooks {
        self.1 = history;
        self
    }

    /// Where the runs of the check named `name` are recorded, when history is on.
    pub(crate) fn history_of(&self, name: &Arc<str>) -> Option<Arc<CheckHistory>> {
        self.1.as_ref().map(|history| history.track(name))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Calls every hook with `change`; a hook that panics is logged, and the others still
    /// run.
    pub(crate) fn fire(&self, change: &StatusChange) {
        for hook in self.0.iter() {
            if std::panic::catch_unwind(AssertUnwindSafe(|| hook(change))).is_err() {
                tracing::error!(?change, "a status-change hook panicked");
            }
        }
    }

    /// A check's transition from `from` to `to`.
    pub(crate) fn check_changed(
        &self,
        name: &Arc<str>,
        from: Option<CheckStatus>,
        to: CheckStatus,
        error: Option<&str>,
    ) {
        if self.is_empty() {
            return;
        }
        self.fire(&StatusChange {
            subject: Subject::Check(Arc::clone(name)),
            from: from.map(CheckStatus::as_str),
            to: to.as_str(),
            error: error.map(str::to_owned),
        });
    }
}
