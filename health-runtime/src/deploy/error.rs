//! Why manifests cannot be generated for a set of checks and a configuration.

use std::fmt;
use std::time::Duration;

use health_rules::Probe;

use super::platform::Platform;

/// A configuration the generator cannot turn into manifests the platform accepts, with
/// what to change.
///
/// ```
/// use health_runtime::deploy::{DeployConfig, DeployError, kubernetes_probes};
///
/// let error = kubernetes_probes(&[], &DeployConfig::new().port(0)).unwrap_err();
/// assert!(matches!(error, DeployError::Invalid { field: "port", .. }));
/// assert_eq!(
///     error.to_string(),
///     "the port `0` is invalid on Kubernetes: must be 1 to 65535"
/// );
/// ```
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
        /// The longest startup the platform's limits can cover with the configured
        /// initial delay.
        max_budget: Duration,
    },
    /// A number outside the range the platform accepts.
    OutOfRange {
        /// Where the probes go.
        platform: Platform,
        /// The manifest field, for example `failureThreshold`.
        field: &'static str,
        /// The probe it belongs to, or `None` for a field of the pod or app.
        probe: Option<Probe>,
        /// The value the configuration asked for.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// Readiness cannot see the shutdown's 503 within the drain delay, so whatever routes
    /// by readiness keeps sending requests until the server stops.
    DrainTooShort {
        /// Where the probes go.
        platform: Platform,
        /// The readiness period.
        period_seconds: u64,
        /// The readiness failure threshold.
        failure_threshold: u64,
        /// The service's drain delay.
        drain_delay: Duration,
    },
    /// The service serves its health over gRPC only
    /// ([`DeployConfig::grpc_only`](super::DeployConfig::grpc_only)) and the platform has no
    /// gRPC probe (Azure Container Apps probes HTTP and TCP only).
    GrpcProbeUnsupported {
        /// Where the probes go.
        platform: Platform,
        /// The port the service serves `grpc.health.v1` on.
        grpc_port: Option<u16>,
    },
    /// A port, path, name or image the platform rejects.
    Invalid {
        /// Where the manifests go.
        platform: Platform,
        /// The configuration item: `port`, `path`, `name` or `image`.
        field: &'static str,
        /// The value given.
        value: String,
        /// What the platform requires of it.
        reason: &'static str,
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
                "the expected startup of {} s is longer than the {} s that {platform}'s startup \
                 probe limits can cover with this configuration; make the service report \
                 started sooner (load in the background and gate readiness instead) or lower \
                 the expected startup",
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
            } => {
                match probe {
                    Some(probe) => write!(f, "the {probe} probe's {field}")?,
                    None => write!(f, "{field}")?,
                }
                write!(
                    f,
                    " would be {value}, but {platform} accepts {min} to {max}; change the \
                     deploy configuration"
                )
            }
            other => other.fmt_settings(f),
        }
    }
}

impl DeployError {
    fn fmt_settings(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::DrainTooShort {
                platform,
                period_seconds,
                failure_threshold,
                drain_delay,
            } => write!(
                f,
                "readiness on {platform} needs up to {} s (periodSeconds {period_seconds} × \
                 failureThreshold {failure_threshold}) to see the 503 of a shutdown, longer \
                 than the drain delay of {} ms; raise the drain delay to at least {} s, or \
                 lower the readiness period or failure threshold",
                period_seconds * failure_threshold,
                drain_delay.as_millis(),
                period_seconds * failure_threshold
            ),
            DeployError::Invalid {
                platform,
                field,
                value,
                reason,
            } => write!(
                f,
                "the {field} `{value}` is invalid on {platform}: {reason}"
            ),
            DeployError::GrpcProbeUnsupported {
                platform,
                grpc_port,
            } => {
                write!(
                    f,
                    "{platform} has no gRPC probe, and this service serves its health"
                )?;
                match grpc_port {
                    Some(port) => write!(f, " over gRPC only (port {port})")?,
                    None => write!(f, " over gRPC only")?,
                }
                write!(
                    f,
                    "; use an HTTP or TCP probe port: serve the HTTP health routes too \
                     (`health_routes!`, `DeployConfig::port`) and drop `grpc_only`, or probe \
                     the port with a hand-written `tcpSocket` probe"
                )
            }
            _ => unreachable!("the other errors are written by `Display::fmt`"),
        }
    }
}

impl std::error::Error for DeployError {}
