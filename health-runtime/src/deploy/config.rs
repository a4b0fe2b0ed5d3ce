//! What the generator needs to know besides the checks: where the service listens, how
//! often each probe runs, how long the service takes to start and to shut down, and what
//! the complete objects are called.

use std::borrow::Cow;
use std::time::Duration;

use crate::http::RouteOptions;
use health_rules::Probe;

/// The settings of generated manifests that cannot be read from the checks.
///
/// The defaults match the library's defaults: port 8000, `/health`, `/health/ready`,
/// `/health/started`, liveness and startup each 10 s, three consecutive failures, a 1 s timeout
/// margin, readiness as often as the drain delay needs (see
/// [`DeployConfig::readiness_period`]), an expected startup of 30 s, a drain delay of 5 s (as
/// [`HealthBuilder::drain_delay`](crate::HealthBuilder::drain_delay)) and 25 s for
/// in-flight requests to finish after it, which makes the platforms' default grace period
/// of 30 s.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, kubernetes_probes};
///
/// let config = DeployConfig::new()
///     .name("ai-service")
///     .image("myregistry.azurecr.io/ai-service:1.4.2")
///     .port(8080)
///     .expected_startup(Duration::from_secs(300)) // loads a large model
///     .drain_delay(Duration::from_secs(10))
///     .shutdown_timeout(Duration::from_secs(20));
/// let checks = [Check::new("postgres", || async {})];
/// let probes = kubernetes_probes(&checks, &config).unwrap();
/// assert_eq!(probes.termination_grace_period_seconds, 30);
/// assert!(probes.deployment_yaml().contains("image: myregistry.azurecr.io/ai-service:1.4.2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployConfig {
    pub(crate) port: u16,
    pub(crate) grpc_port: Option<u16>,
    pub(crate) http: bool,
    pub(crate) liveness_path: Cow<'static, str>,
    pub(crate) readiness_path: Cow<'static, str>,
    pub(crate) startup_path: Cow<'static, str>,
    pub(crate) expected_startup: Duration,
    pub(crate) liveness_period: Duration,
    pub(crate) readiness_period: Option<Duration>,
    pub(crate) startup_period: Duration,
    pub(crate) liveness_failures: u32,
    pub(crate) readiness_failures: u32,
    pub(crate) readiness_successes: u32,
    pub(crate) timeout_margin: Duration,
    pub(crate) initial_delay: Option<Duration>,
    pub(crate) drain_delay: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) pre_stop_sleep: Option<Duration>,
    pub(crate) name: Cow<'static, str>,
    pub(crate) image: Option<Cow<'static, str>>,
    pub(crate) environment_id: Option<Cow<'static, str>>,
    pub(crate) location: Option<Cow<'static, str>>,
}

impl Default for DeployConfig {
    fn default() -> Self {
        let routes = RouteOptions::default();
        DeployConfig {
            port: 8000,
            grpc_port: None,
            http: true,
            liveness_path: routes.liveness,
            readiness_path: routes.readiness,
            startup_path: routes.startup,
            expected_startup: Duration::from_secs(30),
            liveness_period: Duration::from_secs(10),
            readiness_period: None,
            startup_period: Duration::from_secs(10),
            liveness_failures: 3,
            readiness_failures: 3,
            readiness_successes: 1,
            timeout_margin: Duration::from_secs(1),
            initial_delay: None,
            drain_delay: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(25),
            pre_stop_sleep: None,
            name: Cow::Borrowed("service"),
            image: None,
            environment_id: None,
            location: None,
        }
    }
}

impl DeployConfig {
    /// The defaults listed on [`DeployConfig`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The container port the probes call (default 8000; 1 to 65535).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The port the service serves `grpc.health.v1` on ([`Health::grpc`] on a tonic
    /// server; default none). With it, the Kubernetes probes are `grpc:` probes on this
    /// port, each naming its `service` (`startup`, `liveness`, `readiness`), with the
    /// timeouts and budgets of the HTTP ones. Azure Container Apps has no gRPC probe: its
    /// probes stay on the HTTP routes of [`DeployConfig::port`] (see
    /// [`DeployConfig::grpc_only`]).
    ///
    /// [`Health::grpc`]: crate::Health::grpc
    ///
    /// ```
    /// use health_runtime::deploy::{DeployConfig, GrpcAction, ProbeAction, kubernetes_probes};
    ///
    /// let probes = kubernetes_probes(&[], &DeployConfig::new().grpc_port(50051)).unwrap();
    /// let ProbeAction::Grpc(GrpcAction { port, service }) = &probes.liveness_probe.action else {
    ///     unreachable!()
    /// };
    /// assert_eq!((*port, service.as_str()), (50051, "liveness"));
    /// ```
    #[must_use]
    pub fn grpc_port(mut self, port: u16) -> Self {
        self.grpc_port = Some(port);
        self
    }

    /// The service serves its health over gRPC only, on [`DeployConfig::grpc_port`]: no
    /// HTTP health routes, so no HTTP port in the manifests. Kubernetes gets `grpc:`
    /// probes; generating for Azure Container Apps, which has no gRPC probe, is a
    /// [`DeployError::GrpcProbeUnsupported`](super::DeployError::GrpcProbeUnsupported).
    ///
    /// ```
    /// use health_runtime::deploy::{DeployConfig, DeployError, container_apps_probes};
    ///
    /// let config = DeployConfig::new().grpc_port(50051).grpc_only();
    /// let error = container_apps_probes(&[], &config).unwrap_err();
    /// assert!(matches!(error, DeployError::GrpcProbeUnsupported { .. }));
    /// assert!(error.to_string().contains("use an HTTP or TCP probe port"));
    /// ```
    #[must_use]
    pub fn grpc_only(mut self) -> Self {
        self.http = false;
        self
    }

    /// The paths of a router built with these [`RouteOptions`] (or set them one by one
    /// with [`DeployConfig::readiness_path`] and its siblings).
    #[must_use]
    pub fn routes(mut self, routes: &RouteOptions) -> Self {
        self.liveness_path = routes.liveness.clone();
        self.readiness_path = routes.readiness.clone();
        self.startup_path = routes.startup.clone();
        self
    }

    /// The liveness path, when `health_routes!(health, liveness = "...")` changed it.
    #[must_use]
    pub fn liveness_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.liveness_path = path.into();
        self
    }

    /// The readiness path, when `health_routes!(health, readiness = "...")` changed it.
    #[must_use]
    pub fn readiness_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.readiness_path = path.into();
        self
    }

    /// The startup path, when `health_routes!(health, startup = "...")` changed it.
    #[must_use]
    pub fn startup_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.startup_path = path.into();
        self
    }

    /// How long the service may take from process start until its startup checks pass,
    /// at worst (default 30 s). The startup probe's budget covers it.
    #[must_use]
    pub fn expected_startup(mut self, expected: Duration) -> Self {
        self.expected_startup = expected;
        self
    }

    /// How often liveness is probed (default 10 s; at least 1 s, rounded up to seconds).
    #[must_use]
    pub fn liveness_period(mut self, period: Duration) -> Self {
        self.liveness_period = period;
        self
    }

    /// How often readiness is probed (at least 1 s, rounded up to seconds). By default
    /// the longest whole-second period, up to 10 s, at which `failureThreshold` failures
    /// still fit in the drain delay, so that readiness sees the shutdown's 503 before the
    /// server stops (5 s of drain and 3 failures: every second).
    #[must_use]
    pub fn readiness_period(mut self, period: Duration) -> Self {
        self.readiness_period = Some(period);
        self
    }

    /// How often startup is probed while the service starts (default 10 s). A longer
    /// period lowers the failure threshold needed to cover the expected startup.
    #[must_use]
    pub fn startup_period(mut self, period: Duration) -> Self {
        self.startup_period = period;
        self
    }

    /// Consecutive liveness failures before a restart (default 3; at least 1).
    #[must_use]
    pub fn liveness_failure_threshold(mut self, failures: u32) -> Self {
        self.liveness_failures = failures;
        self
    }

    /// Consecutive readiness failures before the pod leaves the load balancer (default 3;
    /// at least 1).
    #[must_use]
    pub fn readiness_failure_threshold(mut self, failures: u32) -> Self {
        self.readiness_failures = failures;
        self
    }

    /// Consecutive readiness successes before the pod takes traffic again (default 1;
    /// liveness and startup are always 1, as both platforms require).
    #[must_use]
    pub fn readiness_success_threshold(mut self, successes: u32) -> Self {
        self.readiness_successes = successes;
        self
    }

    /// What each probe's timeout adds on top of its slowest check (default 1 s): the
    /// connection, the response and a scheduling hiccup on a busy node.
    #[must_use]
    pub fn timeout_margin(mut self, margin: Duration) -> Self {
        self.timeout_margin = margin;
        self
    }

    /// An `initialDelaySeconds` for every probe (default none: the startup probe, not a
    /// delay, protects a slow start).
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = Some(delay);
        self
    }

    /// How long readiness answers 503 after SIGTERM before the server stops accepting
    /// (default 5 s): the service's
    /// [`HealthBuilder::drain_delay`](crate::HealthBuilder::drain_delay), which
    /// [`Health::drain_delay`](crate::Health::drain_delay) reads back.
    #[must_use]
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
        self
    }

    /// How long in-flight requests may take to finish once the drain delay is over
    /// (default 25 s). The grace period covers the drain delay plus this bound.
    #[must_use]
    pub fn shutdown_timeout(mut self, bound: Duration) -> Self {
        self.shutdown_timeout = bound;
        self
    }

    /// A `preStop` hook that sleeps this long before Kubernetes sends SIGTERM (default
    /// none; it needs Kubernetes 1.30 or later, and Container Apps has no such hook). The
    /// grace period grows by as much, since the kubelet counts the hook inside it.
    #[must_use]
    pub fn pre_stop_sleep(mut self, sleep: Duration) -> Self {
        self.pre_stop_sleep = Some(sleep);
        self
    }

    /// The Deployment, container and Container App name (default `service`): a DNS
    /// label on Kubernetes, 2–32 characters on Container Apps.
    #[must_use]
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// The container image (default `<name>:latest`).
    #[must_use]
    pub fn image(mut self, image: impl Into<Cow<'static, str>>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// The Container Apps environment's resource ID, written as
    /// `properties.managedEnvironmentId` (default none: pass `--environment` to
    /// `az containerapp create`).
    #[must_use]
    pub fn container_apps_environment(mut self, id: impl Into<Cow<'static, str>>) -> Self {
        self.environment_id = Some(id.into());
        self
    }

    /// The Container App's Azure region (default none: the environment's).
    #[must_use]
    pub fn location(mut self, location: impl Into<Cow<'static, str>>) -> Self {
        self.location = Some(location.into());
        self
    }

    pub(crate) fn path(&self, probe: Probe) -> &str {
        match probe {
            Probe::Liveness => &self.liveness_path,
            Probe::Readiness => &self.readiness_path,
            Probe::Startup => &self.startup_path,
        }
    }

    pub(crate) fn period(&self, probe: Probe) -> Duration {
        match probe {
            Probe::Liveness => self.liveness_period,
            Probe::Readiness => self.readiness_period.unwrap_or(Duration::from_secs(10)),
            Probe::Startup => self.startup_period,
        }
    }

    pub(crate) fn image_or_default(&self) -> String {
        match &self.image {
            Some(image) => image.to_string(),
            None => format!("{}:latest", self.name),
        }
    }
}
