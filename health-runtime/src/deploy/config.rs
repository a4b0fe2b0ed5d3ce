//! What the generator needs to know besides the checks: port, paths, periods, thresholds and
//! how long the service takes to start.

use std::borrow::Cow;
use std::time::Duration;

use crate::{Probe, RouteOptions};

/// The settings of generated probes that cannot be read from the checks.
///
/// The defaults match the library's defaults: port 8000, `/health`, `/health/ready`,
/// `/health/started`, every probe each 10 s, three consecutive failures, a 1 s timeout
/// margin and an expected startup of 30 s.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::deploy::DeployConfig;
///
/// let config = DeployConfig::new()
///     .port(8080)
///     .expected_startup(Duration::from_secs(300)) // loads a large model
///     .readiness_period(Duration::from_secs(5));
/// assert_eq!(config.path(health_runtime::Probe::Readiness), "/health/ready");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployConfig {
    pub(crate) port: u16,
    pub(crate) liveness_path: Cow<'static, str>,
    pub(crate) readiness_path: Cow<'static, str>,
    pub(crate) startup_path: Cow<'static, str>,
    pub(crate) expected_startup: Duration,
    pub(crate) liveness_period: Duration,
    pub(crate) readiness_period: Duration,
    pub(crate) startup_period: Duration,
    pub(crate) liveness_failures: u32,
    pub(crate) readiness_failures: u32,
    pub(crate) readiness_successes: u32,
    pub(crate) timeout_margin: Duration,
    pub(crate) initial_delay: Option<Duration>,
}

impl Default for DeployConfig {
    fn default() -> Self {
        let routes = RouteOptions::default();
        DeployConfig {
            port: 8000,
            liveness_path: routes.liveness,
            readiness_path: routes.readiness,
            startup_path: routes.startup,
            expected_startup: Duration::from_secs(30),
            liveness_period: Duration::from_secs(10),
            readiness_period: Duration::from_secs(10),
            startup_period: Duration::from_secs(10),
            liveness_failures: 3,
            readiness_failures: 3,
            readiness_successes: 1,
            timeout_margin: Duration::from_secs(1),
            initial_delay: None,
        }
    }
}

impl DeployConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The container port the probes call (default 8000).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
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

    /// How often liveness is probed (default 10 s).
    #[must_use]
    pub fn liveness_period(mut self, period: Duration) -> Self {
        self.liveness_period = period;
        self
    }

    /// How often readiness is probed (default 10 s).
    #[must_use]
    pub fn readiness_period(mut self, period: Duration) -> Self {
        self.readiness_period = period;
        self
    }

    /// How often startup is probed while the service starts (default 10 s). A longer
    /// period lowers the failure threshold needed to cover the expected startup.
    #[must_use]
    pub fn startup_period(mut self, period: Duration) -> Self {
        self.startup_period = period;
        self
    }

    /// Consecutive liveness failures before a restart (default 3).
    #[must_use]
    pub fn liveness_failure_threshold(mut self, failures: u32) -> Self {
        self.liveness_failures = failures;
        self
    }

    /// Consecutive readiness failures before the pod leaves the load balancer (default 3).
    #[must_use]
    pub fn readiness_failure_threshold(mut self, failures: u32) -> Self {
        self.readiness_failures = failures;
        self
    }

    /// Consecutive readiness successes before the pod takes traffic again (default 1;
    /// liveness and startup are always 1, as Kubernetes requires).
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

    /// The container port the probes call.
    pub fn port_number(&self) -> u16 {
        self.port
    }

    /// The path that answers `probe`.
    pub fn path(&self, probe: Probe) -> &str {
        match probe {
            Probe::Liveness => &self.liveness_path,
            Probe::Readiness => &self.readiness_path,
            Probe::Startup => &self.startup_path,
        }
    }

    /// The declared worst-case startup time.
    pub fn expected_startup_time(&self) -> Duration {
        self.expected_startup
    }

    /// The margin each probe's timeout adds on top of its slowest check.
    pub fn margin(&self) -> Duration {
        self.timeout_margin
    }

    pub(crate) fn period(&self, probe: Probe) -> Duration {
        match probe {
            Probe::Liveness => self.liveness_period,
            Probe::Readiness => self.readiness_period,
            Probe::Startup => self.startup_period,
        }
    }
}
