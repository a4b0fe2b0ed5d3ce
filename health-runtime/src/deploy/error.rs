//! Why probes cannot be generated for a set of checks on a platform.

use std::fmt;
use std::time::Duration;

use crate::Probe;

use super::Platform;

/// A configuration the generator cannot turn into valid probes, with what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeployError {
    /// A check is slower than the platform lets a probe wait.
    CheckTooSlow {
        /// Where the probes go.
        platform: Platform,
        /// The probe that runs the check.
        probe: Probe,
        /// The check.
        check: String,
        /// Its timeout.
        check_timeout: Duration,
        /// The probe timeout it needs, margin included, in seconds.
        needed_seconds: u64,
        /// The platform's largest probe timeout, in seconds.
        max_seconds: u64,
    },
    /// The declared startup time is longer than the platform's largest startup budget.
    StartupTooLong {
        /// Where the probes go.
        platform: Platform,
        /// The declared expected startup time.
        expected: Duration,
        /// The longest startup the platform's limits can cover.
        max_budget: Duration,
    },
    /// A setting outside the range the platform accepts.
    OutOfRange {
        /// Where the probes go.
        platform: Platform,
        /// The manifest field, for example `failureThreshold`.
        field: &'static str,
        /// The probe it belongs to.
        probe: Probe,
        /// The value the configuration asked for.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::CheckTooSlow {
                platform,
                probe,
                check,
                check_timeout,
                needed_seconds,
                max_seconds,
            } => write!(
                f,
                "health check `{check}` ({probe}) may take {} ms, so the {probe} probe needs \
                 timeoutSeconds {needed_seconds} with the margin, over {platform}'s maximum of \
                 {max_seconds}; lower the check's `timeout_ms` or the timeout margin",
                check_timeout.as_millis()
            ),
            DeployError::StartupTooLong {
                platform,
                expected,
                max_budget,
            } => write!(
                f,
                "the expected startup of {} s is longer than the {} s {platform}'s startup \
                 probe limits can cover; make the service report started sooner (load in the \
                 background and gate readiness instead) or lower the expected startup",
                expected.as_secs(),
                max_budget.as_secs()
            ),
            DeployError::OutOfRange {
                platform,
                field,
                probe,
                value,
                min,
                max,
            } => write!(
                f,
                "the {probe} probe's {field} would be {value}, but {platform} accepts \
                 {min} to {max}; change the deploy configuration"
            ),
        }
    }
}

impl std::error::Error for DeployError {}
