//! Configuration errors found when checks or routes are assembled at run time.

use std::fmt;
use std::time::Duration;

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
        reason: &'static str,
    },
    /// A tag breaks the naming rule.
    InvalidTag {
        /// The check carrying the tag.
        check: String,
        /// The tag.
        tag: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A timeout outside 1 ms ..= 240 s.
    InvalidTimeout {
        /// The check.
        check: String,
        /// The timeout it was given.
        timeout: Duration,
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
    /// A route path that does not start with `/`, or two probes on the same path.
    InvalidPath {
        /// The path.
        path: String,
        /// Why it is invalid.
        reason: &'static str,
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
                 (names are 1-63 characters of `[a-z0-9_.-]`, starting with a letter or digit)"
            ),
            ConfigError::InvalidTag { check, tag, reason } => write!(
                f,
                "invalid tag `{tag}` on health check `{check}`: {reason} \
                 (tags are 1-63 characters of `[a-z0-9_.-]`, starting with a letter or digit)"
            ),
            ConfigError::InvalidTimeout { check, timeout } => write!(
                f,
                "health check `{check}` has a timeout of {timeout:?}; \
                 timeouts must be between 1 ms and 240 s"
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
            ConfigError::InvalidPath { path, reason } => {
                write!(f, "invalid health route path `{path}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
