//! Configuration errors found when checks or routes are assembled at run time.

use std::fmt;
use std::time::Duration;

use health_rules::{MAX_NAME_LEN, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, NameError};

/// A mistake in the configuration of checks or routes that could not be caught at compile
/// time (checks built with the builder, or two `#[health_check]`s of the same name in
/// different modules).
///
/// ```
/// use health_runtime::{Check, ConfigError, Health};
///
/// let error = Health::builder()
///     .check(Check::new("Redis", || async {}))
///     .build()
///     .unwrap_err();
/// assert!(matches!(error, ConfigError::InvalidName { .. }));
/// assert!(error.to_string().starts_with("invalid health check name `Redis`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two checks share a name; both definitions are named.
    DuplicateName {
        /// The shared name.
        name: String,
        /// Where the first check was defined.
        first: String,
        /// Where the second check was defined.
        second: String,
    },
    /// A check name breaks the naming rule.
    InvalidName {
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: NameError,
    },
    /// A tag breaks the naming rule.
    InvalidTag {
        /// The check carrying the tag.
        check: String,
        /// The tag.
        tag: String,
        /// Why it is invalid.
        reason: NameError,
    },
    /// A timeout outside 1 ms ..= 240 s.
    InvalidTimeout {
        /// The check.
        check: String,
        /// The timeout it was given.
        timeout: Duration,
    },
    /// A check's `failures` or `successes` threshold outside 1 ..= 100.
    InvalidThreshold {
        /// The check.
        check: String,
        /// `failures` or `successes`.
        setting: &'static str,
        /// The value it was given.
        value: u32,
        /// Why it is refused.
        reason: health_rules::ThresholdError,
    },
    /// A setting names a check that does not exist.
    UnknownCheck {
        /// The name given.
        name: String,
        /// Where it was given (`cache_ttl_for`, ...).
        setting: &'static str,
        /// The names of the checks that exist.
        known: Vec<String>,
    },
    /// Checks named with [`HealthBuilder::expect_checks`](crate::HealthBuilder::expect_checks)
    /// that the handle does not have.
    MissingChecks {
        /// The expected names that are missing.
        missing: Vec<String>,
        /// The names of the checks that exist.
        known: Vec<String>,
    },
    /// `health_routes!(checks = [...])` lists a function that has no `#[health_check]`.
    NotACheck {
        /// The function as the list wrote it (`db::postgres`).
        function: String,
        /// The function's full path (`my_service::db::postgres`).
        path: String,
    },
    /// The token of [`DetailsPolicy::FullWithToken`](crate::DetailsPolicy::FullWithToken)
    /// could never be presented (blank, or with characters no header carries). The error
    /// never shows the token.
    InvalidToken {
        /// Why it is refused.
        reason: &'static str,
    },
    /// A status code given for a report status that HTTP cannot answer a report with.
    InvalidStatusCode {
        /// The report status (`degraded`, ...).
        status: &'static str,
        /// The code given.
        code: u16,
    },
    /// A route path that breaks a path rule, or two routes in each other's way.
    InvalidPath {
        /// The path.
        path: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A URL the library would send requests to (a webhook, a fleet instance) that it
    /// cannot use. The error never shows the URL, which may hold a credential.
    InvalidUrl {
        /// What the URL was given for (`Webhook::new`, `Fleet::instances`).
        setting: &'static str,
        /// Why it is refused.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::DuplicateName {
                name,
                first,
                second,
            } => write!(
                f,
                "two health checks are named `{name}` (defined at {first} and at {second}); \
                 check names must be unique, rename one with `name = \"...\"`"
            ),
            ConfigError::InvalidName { name, reason } => write!(
                f,
                "invalid health check name `{name}`: {reason} \
                 (names are 1-{MAX_NAME_LEN} characters of `[a-z0-9_.-]`, starting with a letter or digit)"
            ),
            ConfigError::InvalidTag { check, tag, reason } => write!(
                f,
                "invalid tag `{tag}` on health check `{check}`: {reason} \
                 (tags are 1-{MAX_NAME_LEN} characters of `[a-z0-9_.-]`, starting with a letter or digit)"
            ),
            ConfigError::InvalidTimeout { check, timeout } => write!(
                f,
                "health check `{check}` has a timeout of {timeout:?}; \
                 timeouts must be between {MIN_TIMEOUT_MS} ms and {max} s",
                max = MAX_TIMEOUT_MS / 1000
            ),
            ConfigError::InvalidThreshold {
                check,
                setting,
                value,
                reason,
            } => write!(
                f,
                "health check `{check}` has `{setting} = {value}`; {reason}"
            ),
            ConfigError::UnknownCheck {
                name,
                setting,
                known,
            } => write!(
                f,
                "`{setting}` names the health check `{name}`, but there is none; the checks are: {}",
                known.join(", ")
            ),
            ConfigError::MissingChecks { missing, known } => {
                let missing: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
                write!(
                    f,
                    "expected health checks {} are missing (the checks are: {}); a \
                     `#[health_check]` in a library crate is linked only when the binary \
                     names that crate: add `use <crate> as _;` to the binary",
                    missing.join(", "),
                    if known.is_empty() {
                        "(none)".to_owned()
                    } else {
                        known.join(", ")
                    }
                )
            }
            ConfigError::NotACheck { function, path } => write!(
                f,
                "`{function}` (`{path}`) is listed in `health_routes!(checks = [...])` but is \
                 not a health check: add `#[health_check]` to the `async fn`"
            ),
            ConfigError::InvalidToken { reason } => write!(
                f,
                "invalid token for `DetailsPolicy::FullWithToken`: {reason}"
            ),
            ConfigError::InvalidStatusCode { status, code } => write!(
                f,
                "invalid status code {code} for `{status}` reports: a report is answered with \
                 a 2xx code that has a body (not 204 or 205), a 4xx or a 5xx"
            ),
            ConfigError::InvalidPath { path, reason } => {
                write!(f, "invalid health route path `{path}`: {reason}")
            }
            ConfigError::InvalidUrl { setting, reason } => {
                write!(f, "invalid URL for `{setting}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
