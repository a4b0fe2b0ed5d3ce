//! What a probe concludes: the verdict over check results, the status of the answer, and
//! the report a transport renders (its JSON is the HTTP body; gRPC maps the status).

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::check::CheckStatus;
use crate::run::CheckResult;

/// What a set of check results amounts to.
///
/// ```
/// use health_runtime::Check;
/// use health_runtime::check::Resources;
/// use health_runtime::report::Verdict;
/// use health_runtime::run::run_checks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let checks = [
///     Check::new("db", || async { true }),
///     Check::new("search", || async { false }).critical(false),
/// ];
/// let results = run_checks(&checks, &Resources::default()).await;
/// assert_eq!(Verdict::of(&results), Verdict::Degraded);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every check is healthy.
    Pass,
    /// Only non-critical checks failed, or some check reported itself degraded.
    Degraded,
    /// A critical check failed.
    Fail,
}

impl Verdict {
    /// The verdict over `results`.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Verdict {
        results
            .into_iter()
            .fold(Verdict::Pass, |verdict, result| match result.status {
                CheckStatus::Healthy => verdict,
                CheckStatus::Unhealthy if result.critical => Verdict::Fail,
                _ if verdict == Verdict::Fail => Verdict::Fail,
                _ => Verdict::Degraded,
            })
    }
}

/// The `status` of a probe response.
///
/// ```
/// use health_runtime::report::ReportStatus;
///
/// assert_eq!(ReportStatus::Degraded.as_str(), "degraded");
/// assert!(ReportStatus::Degraded.passes());
/// assert!(!ReportStatus::ShuttingDown.passes());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Liveness passed.
    Alive,
    /// An opt-in liveness check failed.
    Unhealthy,
    /// Startup passed (latched).
    Started,
    /// Startup checks have not all passed yet.
    Starting,
    /// Readiness passed.
    Ready,
    /// Readiness passed with non-critical failures.
    Degraded,
    /// A critical readiness check failed, or startup has not finished.
    NotReady,
    /// Shutdown began; the instance takes no new traffic.
    ShuttingDown,
    /// The application took itself out of readiness
    /// ([`Health::set_unavailable`](crate::Health::set_unavailable)); the report carries
    /// its reason.
    Unavailable,
    /// The application found itself broken
    /// ([`Health::mark_broken`](crate::Health::mark_broken)): liveness fails, with the
    /// reason.
    Broken,
}

impl ReportStatus {
    /// The JSON value of `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Alive => "alive",
            ReportStatus::Unhealthy => "unhealthy",
            ReportStatus::Started => "started",
            ReportStatus::Starting => "starting",
            ReportStatus::Ready => "ready",
            ReportStatus::Degraded => "degraded",
            ReportStatus::NotReady => "not_ready",
            ReportStatus::ShuttingDown => "shutting_down",
            ReportStatus::Unavailable => "unavailable",
            ReportStatus::Broken => "broken",
        }
    }

    /// Whether the orchestrator should count the answer as a success: HTTP answers 200
    /// (503 otherwise) and gRPC `SERVING` (`NOT_SERVING` otherwise).
    pub fn passes(self) -> bool {
        match self {
            ReportStatus::Alive
            | ReportStatus::Started
            | ReportStatus::Ready
            | ReportStatus::Degraded => true,
            ReportStatus::Unhealthy
            | ReportStatus::Starting
            | ReportStatus::NotReady
            | ReportStatus::ShuttingDown
            | ReportStatus::Unavailable
            | ReportStatus::Broken => false,
        }
    }
}

/// The body of a probe response.
///
/// ```
/// use health_runtime::report::{Report, ReportStatus};
///
/// let report = Report::new(ReportStatus::Alive, Vec::new());
/// assert_eq!(serde_json::to_string(&report).unwrap(), r#"{"status":"alive"}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    status: ReportStatus,
    detail: Option<&'static str>,
    reason: Option<Arc<str>>,
    checks: Vec<CheckResult>,
    show_checks: bool,
}

impl Report {
    /// A report with `status` over `checks`; an empty `checks` is omitted from the JSON.
    pub fn new(status: ReportStatus, checks: Vec<CheckResult>) -> Self {
        let show_checks = !checks.is_empty();
        Report {
            status,
            detail: None,
            reason: None,
            checks,
            show_checks,
        }
    }

    /// A report that always carries `checks`, even when empty (readiness does).
    pub(crate) fn with_checks(status: ReportStatus, checks: Vec<CheckResult>) -> Self {
        Report {
            show_checks: true,
            ..Report::new(status, checks)
        }
    }

    /// Adds a human-readable `detail`.
    #[must_use]
    pub fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Adds the application's `reason` for an `unavailable` or `broken` answer.
    #[must_use]
    pub(crate) fn with_reason(mut self, reason: Arc<str>) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Why the application made itself `unavailable` or `broken`, in those answers (the
    /// JSON's `"reason"`).
    ///
    /// ```
    /// use health_runtime::report::{Report, ReportStatus};
    ///
    /// let report = Report::new(ReportStatus::Ready, Vec::new());
    /// assert_eq!(report.reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The answer's `status`; whether it passes decides 200 or 503.
    pub fn status(&self) -> ReportStatus {
        self.status
    }

    /// The human-readable detail, if any.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// The same report without check results or detail: what
    /// [`DetailsPolicy::StatusOnly`](crate::DetailsPolicy::StatusOnly) shows.
    ///
    /// ```
    /// use health_runtime::report::{Report, ReportStatus};
    ///
    /// let report = Report::new(ReportStatus::Starting, Vec::new()).with_detail("loading");
    /// assert_eq!(report.detail(), Some("loading"));
    /// let public = report.status_only();
    /// assert_eq!(public.status(), ReportStatus::Starting);
    /// assert_eq!(serde_json::to_string(&public).unwrap(), r#"{"status":"starting"}"#);
    /// ```
    #[must_use]
    pub fn status_only(self) -> Report {
        Report::new(self.status, Vec::new())
    }

    /// The check results, ordered by name.
    pub fn checks(&self) -> &[CheckResult] {
        &self.checks
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", self.status.as_str())?;
        if let Some(detail) = self.detail {
            map.serialize_entry("detail", detail)?;
        }
        if let Some(reason) = &self.reason {
            map.serialize_entry("reason", &**reason)?;
        }
        if self.show_checks {
            map.serialize_entry("checks", &ChecksByName(&self.checks))?;
        }
        map.end()
    }
}

struct ChecksByName<'a>(&'a [CheckResult]);

impl Serialize for ChecksByName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|r| (&*r.name, r)))
    }
}
