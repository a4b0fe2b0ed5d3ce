//! What the lint reports: one contradiction between a manifest and the service.

use std::fmt;
use std::time::Duration;

use health_rules::Probe;

/// One contradiction between a manifest and the checks or the shutdown budget.
///
/// ```
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, lint};
///
/// let checks = [Check::new("postgres", || async {})];
/// let findings = lint("readinessProbe: {httpGet: {path: /health/ready, port: 8000}}",
///                     &checks, &DeployConfig::new()).unwrap();
/// assert_eq!(
///     findings[0].to_string(),
///     "container `(unnamed)`, readiness probe: timeoutSeconds is 1 (the default: none is \
///      set) but check `postgres` may take 1000 ms; the probe gives up before the service \
///      answers. Set timeoutSeconds to at least 2"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The container it is about.
    pub container: String,
    /// The probe it is about, if one.
    pub probe: Option<Probe>,
    /// What is wrong.
    pub kind: FindingKind,
}

/// What a [`Finding`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindingKind {
    /// The probe gives up before its slowest check can answer: the kubelet counts a
    /// failure while the service is healthy (the reference article's bug).
    TimeoutTooShort {
        /// The probe's timeout.
        timeout_seconds: u64,
        /// Whether it was written or is the 1 s default.
        explicit: bool,
        /// The slowest check behind the probe's path.
        check: String,
        /// That check's timeout.
        check_timeout: Duration,
        /// The timeout the probe needs, margin included.
        needed_seconds: u64,
    },
    /// Liveness calls the readiness path: a dependency outage restarts every pod.
    LivenessOnReadinessPath {
        /// The path.
        path: String,
    },
    /// Readiness calls the liveness path: it never takes the pod out of traffic.
    ReadinessOnLivenessPath {
        /// The path.
        path: String,
    },
    /// The service has readiness checks but no readiness probe: traffic keeps coming while
    /// its dependencies are down.
    MissingReadinessProbe {
        /// The readiness checks nobody asks about.
        checks: Vec<String>,
    },
    /// A slow starter without a startup probe: liveness can restart it before it started.
    MissingStartupProbe {
        /// The declared expected startup.
        expected_startup: Duration,
        /// How long liveness waits before its restart.
        liveness_budget: Duration,
    },
    /// The startup probe's budget ends before the expected startup does.
    StartupBudgetTooShort {
        /// `initialDelaySeconds + (failureThreshold - 1) × periodSeconds`.
        budget: Duration,
        /// The declared expected startup.
        expected_startup: Duration,
    },
    /// Liveness and startup probes must have `successThreshold: 1`.
    SuccessThresholdNotOne {
        /// The value written.
        value: u64,
    },
    /// The path has no health handler: every probe gets a 404.
    NoHandler {
        /// The path.
        path: String,
    },
    /// The probe calls another port than the service listens on.
    WrongPort {
        /// The port written.
        port: String,
        /// The service's port.
        expected: u16,
    },
    /// A liveness `grpc:` probe without `service`: the kubelet asks `""`, which is
    /// readiness, so a dependency outage restarts the pod.
    GrpcLivenessWithoutService,
    /// Liveness asks a gRPC service that answers readiness (`readiness`, `""`, or a
    /// readiness check): a dependency outage restarts the pod.
    LivenessOnReadinessService {
        /// The service asked.
        service: String,
    },
    /// Readiness asks the `liveness` gRPC service: it never takes the pod out of traffic.
    ReadinessOnLivenessService {
        /// The service asked.
        service: String,
    },
    /// The gRPC service asked is none of the service's: every probe gets `NOT_FOUND`.
    NoGrpcService {
        /// The service asked.
        service: String,
    },
    /// A `grpc` probe on Azure Container Apps, which has none.
    GrpcOnContainerApps,
    /// A value Container Apps rejects.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value written.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The grace period ends before the drain delay and the shutdown timeout do: the
    /// platform kills the service while requests are still in flight.
    GracePeriodTooShort {
        /// `terminationGracePeriodSeconds` (30 when none is set).
        grace_seconds: u64,
        /// Drain delay plus shutdown timeout, rounded up.
        needed_seconds: u64,
    },
    /// The `preStop` hook runs inside the grace period and leaves the service less than
    /// its drain delay plus shutdown timeout after SIGTERM.
    PreStopEatsGracePeriod {
        /// How long the hook sleeps.
        pre_stop_seconds: u64,
        /// `terminationGracePeriodSeconds`.
        grace_seconds: u64,
        /// Drain delay plus shutdown timeout, rounded up.
        needed_seconds: u64,
    },
    /// Readiness cannot notice the shutdown's 503 before the drain delay ends: whatever
    /// routes by readiness (an unready pod that is not being deleted, or load balancers
    /// that probe it) keeps sending requests until the server stops.
    ReadinessSlowerThanDrain {
        /// `periodSeconds × failureThreshold`.
        notice: Duration,
        /// The service's drain delay.
        drain_delay: Duration,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "container `{}`", self.container)?;
        if let Some(probe) = self.probe {
            write!(f, ", {probe} probe")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::TimeoutTooShort {
                timeout_seconds,
                explicit,
                check,
                check_timeout,
                needed_seconds,
            } => write!(
                f,
                "timeoutSeconds is {timeout_seconds}{} but check `{check}` may take {} ms; \
                 the probe gives up before the service answers. Set timeoutSeconds to at \
                 least {needed_seconds}",
                if *explicit {
                    ""
                } else {
                    " (the default: none is set)"
                },
                check_timeout.as_millis()
            ),
            FindingKind::LivenessOnReadinessPath { path } => write!(
                f,
                "liveness calls the readiness path `{path}`, so a dependency outage restarts \
                 the pod; point it at the liveness path"
            ),
            FindingKind::ReadinessOnLivenessPath { path } => write!(
                f,
                "readiness calls the liveness path `{path}`, which runs no dependency check, so \
                 the pod never leaves traffic; point it at the readiness path"
            ),
            FindingKind::MissingReadinessProbe { checks } => write!(
                f,
                "no readiness probe, so traffic keeps coming while readiness checks fail \
                 ({}); add a readinessProbe on the readiness path",
                checks.join(", ")
            ),
            FindingKind::MissingStartupProbe {
                expected_startup,
                liveness_budget,
            } => write!(
                f,
                "no startup probe, but the service starts slowly (startup checks, up to {} s) \
                 and liveness restarts it after {} s; add a startupProbe",
                expected_startup.as_secs(),
                liveness_budget.as_secs()
            ),
            other => other.fmt_more(f),
        }
    }
}

impl FindingKind {
    fn fmt_more(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::StartupBudgetTooShort {
                budget,
                expected_startup,
            } => write!(
                f,
                "the startup budget is {} s but the service may take {} s to start, so it is \
                 restarted before it ever starts; raise failureThreshold or periodSeconds",
                budget.as_secs(),
                expected_startup.as_secs()
            ),
            FindingKind::SuccessThresholdNotOne { value } => write!(
                f,
                "successThreshold is {value}; liveness and startup probes must use 1"
            ),
            FindingKind::NoHandler { path } => {
                write!(
                    f,
                    "no health handler serves `{path}`; every probe gets a 404"
                )
            }
            FindingKind::WrongPort { port, expected } => {
                write!(f, "calls port {port} but the service listens on {expected}")
            }
            FindingKind::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(
                f,
                "{field} is {value}; Azure Container Apps accepts {min} to {max}"
            ),
            other => other.fmt_grpc(f),
        }
    }

    fn fmt_grpc(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::GrpcLivenessWithoutService => f.write_str(
                "the gRPC probe names no `service`, so the kubelet asks `\"\"`, which is \
                 readiness: a dependency outage restarts the pod; set `service: liveness`",
            ),
            FindingKind::LivenessOnReadinessService { service } => write!(
                f,
                "liveness asks the gRPC service `{service}`, which answers as readiness, so a \
                 dependency outage restarts the pod; set `service: liveness`"
            ),
            FindingKind::ReadinessOnLivenessService { service } => write!(
                f,
                "readiness asks the gRPC service `{service}`, which runs no dependency check, \
                 so the pod never leaves traffic; set `service: readiness`"
            ),
            FindingKind::NoGrpcService { service } => write!(
                f,
                "no gRPC health service `{service}`; every probe gets NOT_FOUND. Ask \
                 `startup`, `liveness` or `readiness`"
            ),
            FindingKind::GrpcOnContainerApps => f.write_str(
                "Azure Container Apps has no gRPC probe; use an HTTP or TCP probe port \
                 (`httpGet` on the HTTP health routes, or `tcpSocket`)",
            ),
            other => other.fmt_shutdown(f),
        }
    }

    fn fmt_shutdown(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::GracePeriodTooShort {
                grace_seconds,
                needed_seconds,
            } => write!(
                f,
                "terminationGracePeriodSeconds is {grace_seconds} but the drain delay and the \
                 shutdown timeout take {needed_seconds} s, so the service is killed with \
                 requests in flight; set it to at least {needed_seconds}"
            ),
            FindingKind::PreStopEatsGracePeriod {
                pre_stop_seconds,
                grace_seconds,
                needed_seconds,
            } => write!(
                f,
                "the preStop hook sleeps {pre_stop_seconds} s of the {grace_seconds} s grace \
                 period, leaving less than the {needed_seconds} s the drain delay and the \
                 shutdown timeout take; set terminationGracePeriodSeconds to at least {}",
                pre_stop_seconds + needed_seconds
            ),
            FindingKind::ReadinessSlowerThanDrain {
                notice,
                drain_delay,
            } => write!(
                f,
                "readiness needs up to {} s (periodSeconds × failureThreshold) to notice the \
                 shutdown's 503, longer than the {} ms drain delay, so traffic routed by \
                 readiness still arrives when the server stops; probe more often or drain \
                 longer",
                notice.as_secs(),
                drain_delay.as_millis()
            ),
            _ => unreachable!("every finding kind has a message"),
        }
    }
}
