//! Reports: the result of each check and the verdict of a probe, as serialised to JSON.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::CheckStatus;

/// The result of one run of one check: one entry of a report's `checks`.
///
/// Serialises as `{"healthy":true,"latency_ms":3.2}` or
/// `{"healthy":false,"latency_ms":1000.3,"error":"Timeout after 1000ms"}`, with
/// `"degraded":true`, `"critical":false`, `"age_ms"` and `"details":{...}` added when they
/// apply.
///
/// ```
/// use health_runtime::{Check, Resources, run_checks};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let checks = [Check::new("db", || async { Err::<(), _>("connection refused") })];
/// let result = &run_checks(&checks, &Resources::default()).await[0];
/// assert!(!result.is_healthy());
/// assert_eq!(result.error(), Some("connection refused"));
/// let json = serde_json::to_value(result).unwrap();
/// assert_eq!(json["healthy"], false);
/// assert_eq!(json["error"], "connection refused");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub(crate) name: Arc<str>,
    pub(crate) status: CheckStatus,
    pub(crate) latency: Duration,
    pub(crate) error: Option<Arc<str>>,
    pub(crate) critical: bool,
    /// Shared, so that serving a cached result does not copy it.
    pub(crate) details: Arc<Map<String, Value>>,
    /// How old the result is when served; `None` when results are never reused.
    pub(crate) age: Option<Duration>,
    pub(crate) finished_at: SystemTime,
}

impl CheckResult {
    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The status the check reported (a timeout or a panic is [`CheckStatus::Unhealthy`]).
    pub fn status(&self) -> CheckStatus {
        self.status
    }

    /// `false` only when the check is unhealthy; a degraded check is still healthy.
    pub fn is_healthy(&self) -> bool {
        self.status != CheckStatus::Unhealthy
    }

    /// How long the run took.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The error or degradation message, as shown in the response.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether a failure of this check fails the probe.
    pub fn is_critical(&self) -> bool {
        self.critical
    }

    /// Observed values the check reported.
    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }

    /// How old the result was when served, when results are cached or refreshed in the
    /// background; `None` when every request runs the check.
    pub fn age(&self) -> Option<Duration> {
        self.age
    }

    /// When the run that produced this result finished.
    pub fn finished_at(&self) -> SystemTime {
        self.finished_at
    }

    /// The latency in milliseconds rounded to 0.1 ms, as in the report.
    pub fn latency_ms(&self) -> f64 {
        round_ms(self.latency)
    }
}

impl Serialize for CheckResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("healthy", &self.is_healthy())?;
        map.serialize_entry("latency_ms", &self.latency_ms())?;
        if let Some(error) = &self.error {
            map.serialize_entry("error", &**error)?;
        }
        if self.status == CheckStatus::Degraded {
            map.serialize_entry("degraded", &true)?;
        }
        if !self.critical {
            map.serialize_entry("critical", &false)?;
        }
        if let Some(age) = self.age {
            map.serialize_entry("age_ms", &round_ms(age))?;
        }
        if !self.details.is_empty() {
            map.serialize_entry("details", &*self.details)?;
        }
        map.end()
    }
}

/// Milliseconds rounded to 0.1 ms.
fn round_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

/// What a set of check results amounts to.
///
/// ```
/// use health_runtime::{Check, Resources, Verdict, run_checks};
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
/// use axum::http::StatusCode;
/// use health_runtime::ReportStatus;
///
/// assert_eq!(ReportStatus::Degraded.as_str(), "degraded");
/// assert_eq!(ReportStatus::Degraded.http_status(), StatusCode::OK);
/// assert_eq!(ReportStatus::ShuttingDown.http_status(), StatusCode::SERVICE_UNAVAILABLE);
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
        }
    }

    /// The HTTP status code: 200 for passing states, 503 for the others.
    pub fn http_status(self) -> StatusCode {
        match self {
            ReportStatus::Alive
            | ReportStatus::Started
            | ReportStatus::Ready
            | ReportStatus::Degraded => StatusCode::OK,
            ReportStatus::Unhealthy
            | ReportStatus::Starting
            | ReportStatus::NotReady
            | ReportStatus::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The body of a probe response.
///
/// ```
/// use health_runtime::{Report, ReportStatus};
///
/// let report = Report::new(ReportStatus::Alive, Vec::new());
/// assert_eq!(serde_json::to_string(&report).unwrap(), r#"{"status":"alive"}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    status: ReportStatus,
    detail: Option<&'static str>,
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

    /// The status.
    pub fn status(&self) -> ReportStatus {
        self.status
    }

    /// The human-readable detail, if any.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// The same report without check results or detail: what
    /// [`DetailsPolicy::StatusOnly`](crate::DetailsPolicy::StatusOnly) shows.
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
