//! The result of one run of one check, as a report's `checks` entry shows it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::check::CheckStatus;

/// The result of one run of one check: one entry of a report's `checks`.
///
/// Serialises as `{"healthy":true,"latency_ms":3.2}` or
/// `{"healthy":false,"latency_ms":1000.3,"error":"Timeout after 1000ms"}`, with
/// `"degraded":true`, `"critical":false`, `"age_ms"` and `"details":{...}` added when they
/// apply.
///
/// ```
/// use health_runtime::Check;
/// use health_runtime::check::Resources;
/// use health_runtime::run::run_checks;
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
    /// For a check with a failure or success threshold: the raw last run and the streaks
    /// that the counted status comes from.
    pub(crate) counted: Option<Counted>,
}

/// How a check with thresholds counted its runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    /// The status the last run itself ended with.
    pub(crate) last: CheckStatus,
    pub(crate) consecutive_failures: u32,
    pub(crate) consecutive_successes: u32,
}

impl CheckResult {
    /// The check's name, its key in the report's `checks`.
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

    /// How long the run took (the timeout, for a run that timed out).
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The error or degradation message, as shown in the response.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether a failure of this check fails the probe (`true`) or only degrades it.
    pub fn is_critical(&self) -> bool {
        self.critical
    }

    /// Observed values the check reported, scrubbed of secrets like its error.
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
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use health_runtime::{Check, CheckStatus};
    /// use health_runtime::check::Resources;
    /// use health_runtime::run::run_checks;
    ///
    /// let result = &run_checks([&Check::new("up", || async {})], &Resources::default()).await[0];
    /// assert_eq!(result.status(), CheckStatus::Healthy);
    /// assert!(result.latency_ms() >= 0.0);
    /// assert_eq!(result.age(), None); // run for this request, not reused
    /// assert!(result.is_critical());
    /// # }
    /// ```
    pub fn latency_ms(&self) -> f64 {
        round_ms(self.latency)
    }

    /// For a check with a failure or success threshold, the status its last run itself
    /// ended with (the report's `last_result`), which [`status`](Self::status) follows
    /// only once the threshold is reached; `None` for a check without thresholds.
    pub fn last_result(&self) -> Option<CheckStatus> {
        self.counted.map(|counted| counted.last)
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
        if let Some(counted) = self.counted {
            map.serialize_entry("last_result", counted.last.as_str())?;
            map.serialize_entry("consecutive_failures", &counted.consecutive_failures)?;
            map.serialize_entry("consecutive_successes", &counted.consecutive_successes)?;
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
