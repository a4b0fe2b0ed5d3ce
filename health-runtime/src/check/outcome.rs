//! What a single check run concludes, and the return types a check may have.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::{Map, Value};

/// The boxed future of one check run, as [`Check::from_fn`](crate::Check::from_fn) returns it.
///
/// ```
/// use health_runtime::CheckOutcome;
/// use health_runtime::check::CheckFuture;
///
/// let run: CheckFuture = Box::pin(async { CheckOutcome::healthy() });
/// # let _ = run;
/// ```
pub type CheckFuture = Pin<Box<dyn Future<Output = CheckOutcome> + Send + 'static>>;

/// The health of one dependency, as a check sees it.
///
/// ```
/// use health_runtime::{CheckOutcome, CheckStatus};
///
/// assert_eq!(CheckOutcome::degraded("slow").status(), CheckStatus::Degraded);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Works as expected.
    Healthy,
    /// Works, but not as well as it should (slow, a replica missing, ...). Never a 503.
    Degraded,
    /// Does not work.
    Unhealthy,
}

impl CheckStatus {
    /// The status as logs and the `metrics` feature name it: `healthy`, `degraded`,
    /// `unhealthy`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Healthy => "healthy",
            CheckStatus::Degraded => "degraded",
            CheckStatus::Unhealthy => "unhealthy",
        }
    }
}

/// The result of running one check: a status, a message for anything but healthy, and
/// optional observed values that are shown in the report under `details`.
///
/// A check may return this type directly when `()`, `bool` or `Result` say too little:
///
/// ```
/// use health_runtime::{CheckOutcome, CheckStatus};
///
/// let lag = 12.5;
/// let outcome = if lag < 10.0 {
///     CheckOutcome::healthy()
/// } else {
///     CheckOutcome::degraded(format!("replica lag {lag}s"))
/// }
/// .with_detail("lag_seconds", lag);
///
/// assert_eq!(outcome.status(), CheckStatus::Degraded);
/// assert_eq!(outcome.message(), Some("replica lag 12.5s"));
/// assert_eq!(outcome.details()["lag_seconds"], 12.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    status: CheckStatus,
    message: Option<String>,
    details: Map<String, Value>,
}

impl CheckOutcome {
    /// A healthy outcome without a message.
    pub fn healthy() -> Self {
        Self::new(CheckStatus::Healthy, None)
    }

    /// A degraded outcome: reported, but the probe still answers 200.
    pub fn degraded(message: impl Into<String>) -> Self {
        Self::new(CheckStatus::Degraded, Some(message.into()))
    }

    /// An unhealthy outcome with the reason shown as the check's `error`.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Self::new(CheckStatus::Unhealthy, Some(message.into()))
    }

    fn new(status: CheckStatus, message: Option<String>) -> Self {
        CheckOutcome {
            status,
            message,
            details: Map::new(),
        }
    }

    /// Adds an observed value shown under the check's `details`.
    ///
    /// A value that cannot be represented as JSON is recorded as `null`.
    #[must_use]
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.into(), value);
        self
    }

    /// Healthy, degraded or unhealthy.
    pub fn status(&self) -> CheckStatus {
        self.status
    }

    /// The message of a degraded or unhealthy outcome.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The observed values, shown under the check's `details`.
    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }

    pub(crate) fn into_parts(self) -> (CheckStatus, Option<String>, Map<String, Value>) {
        (self.status, self.message, self.details)
    }
}

/// A type a health check may return.
///
/// Implemented for `()` (always healthy), `bool` (`false` is unhealthy),
/// `Result<T, E>` with `T: Serialize` (its value becomes the check's `details`) and
/// `E: Display` (its text becomes the check's `error`), and [`CheckOutcome`].
///
/// A value that serialises to a boolean is the verdict, as a `bool` is: `Ok(false)` is
/// unhealthy, never a healthy check with `false` in its details.
///
/// ```
/// use health_runtime::{CheckStatus, IntoCheckOutcome};
///
/// let ok: Result<u32, std::io::Error> = Ok(3);
/// assert_eq!(ok.into_check_outcome().details()["value"], 3);
///
/// let up: Result<bool, std::io::Error> = Ok(false);
/// assert_eq!(up.into_check_outcome().status(), CheckStatus::Unhealthy);
///
/// let err: Result<(), String> = Err("connection refused".into());
/// let outcome = err.into_check_outcome();
/// assert_eq!(outcome.status(), CheckStatus::Unhealthy);
/// assert_eq!(outcome.message(), Some("connection refused"));
/// ```
// The impls are `do_not_recommend`: a return type that is not accepted is reported with
// this message and its list of accepted types, not as the `Serialize` or `Display` bound of
// the `Result` impl under a path of another crate, nor as a list of impls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a return type a health check can have",
    label = "unsupported health check return type",
    note = "a health check returns `()`, `bool`, `Result<T, E>` (the error `E: Display` is reported, the value `T: Serialize` becomes the check's details) or `health_runtime::CheckOutcome`",
    note = "convert inside the check: return `bool` from `option.is_some()`, or return `Result<u32, String>` with `Ok(n)` to report `n` under details"
)]
pub trait IntoCheckOutcome {
    /// Converts the value a check returned into its outcome.
    fn into_check_outcome(self) -> CheckOutcome;
}

#[diagnostic::do_not_recommend]
impl IntoCheckOutcome for CheckOutcome {
    fn into_check_outcome(self) -> CheckOutcome {
        self
    }
}

#[diagnostic::do_not_recommend]
impl IntoCheckOutcome for () {
    fn into_check_outcome(self) -> CheckOutcome {
        CheckOutcome::healthy()
    }
}

#[diagnostic::do_not_recommend]
impl IntoCheckOutcome for bool {
    fn into_check_outcome(self) -> CheckOutcome {
        if self {
            CheckOutcome::healthy()
        } else {
            CheckOutcome::unhealthy(RETURNED_FALSE)
        }
    }
}

const RETURNED_FALSE: &str = "check returned false";

#[diagnostic::do_not_recommend]
impl<T: Serialize, E: Display> IntoCheckOutcome for Result<T, E> {
    fn into_check_outcome(self) -> CheckOutcome {
        match self {
            Ok(value) => {
                let mut outcome = CheckOutcome::healthy();
                match serde_json::to_value(value) {
                    Ok(Value::Null | Value::Bool(true)) => {}
                    Ok(Value::Bool(false)) => return CheckOutcome::unhealthy(RETURNED_FALSE),
                    Ok(Value::Object(fields)) => outcome.details = fields,
                    Ok(other) => {
                        outcome.details.insert("value".to_owned(), other);
                    }
                    Err(err) => {
                        return CheckOutcome::degraded(format!(
                            "check succeeded but its details could not be serialised: {err}"
                        ));
                    }
                }
                outcome
            }
            Err(err) => CheckOutcome::unhealthy(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_false_is_unhealthy_like_false() {
        let outcome = Ok::<bool, String>(false).into_check_outcome();
        assert_eq!(outcome, false.into_check_outcome());
        assert_eq!(outcome.status(), CheckStatus::Unhealthy);
        assert_eq!(outcome.message(), Some("check returned false"));
        assert!(outcome.details().is_empty());
    }

    #[test]
    fn ok_true_is_healthy_without_details() {
        let outcome = Ok::<bool, String>(true).into_check_outcome();
        assert_eq!(outcome, CheckOutcome::healthy());
    }

    #[test]
    fn other_values_are_details() {
        let outcome = Ok::<u32, String>(7).into_check_outcome();
        assert_eq!(outcome.status(), CheckStatus::Healthy);
        assert_eq!(outcome.details()["value"], 7);
        let err = Err::<bool, String>("refused".into()).into_check_outcome();
        assert_eq!(err.message(), Some("refused"));
    }
}
