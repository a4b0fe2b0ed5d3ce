//! Which checks and paths a router serves: the options of `health_routes!`.

use std::borrow::Cow;
use std::sync::Arc;

use health_rules::{
    DEFAULT_LIVENESS_PATH, DEFAULT_READINESS_PATH, DEFAULT_STARTUP_PATH, PathConflict,
    has_single_check_routes, path_conflict, validate_name, validate_path, validate_probe_path,
};

use crate::check::Check;
use crate::check::generated::StaticCheck;
use crate::error::ConfigError;
use crate::probe::{HealthState, ReportStatus};

use super::codes::StatusCodes;

/// The paths and check selection of a health router. `health_routes!(health, ...)`
/// builds one of these; without macros, pass it to [`Health::router_with`](crate::Health::router_with).
///
/// ```
/// use health_runtime::{Health, RouteOptions};
///
/// let options = RouteOptions::new()
///     .liveness_path("/livez")
///     .readiness_path("/readyz")
///     .startup_path("/startupz")
///     .tags(["db"]);
/// let app: axum::Router = Health::new().router_with(options);
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct RouteOptions {
    pub(crate) liveness: Cow<'static, str>,
    pub(crate) readiness: Cow<'static, str>,
    pub(crate) startup: Cow<'static, str>,
    only: Option<Vec<&'static StaticCheck>>,
    tags: Vec<Cow<'static, str>>,
    pub(crate) groups: Vec<(Cow<'static, str>, Arc<[String]>)>,
    pub(crate) codes: StatusCodes,
}

impl Default for RouteOptions {
    fn default() -> Self {
        RouteOptions {
            liveness: Cow::Borrowed(DEFAULT_LIVENESS_PATH),
            readiness: Cow::Borrowed(DEFAULT_READINESS_PATH),
            startup: Cow::Borrowed(DEFAULT_STARTUP_PATH),
            only: None,
            tags: Vec::new(),
            groups: Vec::new(),
            codes: StatusCodes::default(),
        }
    }
}

impl RouteOptions {
    /// The defaults: `/health`, `/health/ready`, `/health/started`, every check.
    pub fn new() -> Self {
        Self::default()
    }

    /// The liveness path (default `/health`).
    #[must_use]
    pub fn liveness_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.liveness = path.into();
        self
    }

    /// The readiness path (default `/health/ready`); `{path}/{name}` runs one check.
    #[must_use]
    pub fn readiness_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.readiness = path.into();
        self
    }

    /// The startup path (default `/health/started`); `{path}/{name}` runs one check.
    #[must_use]
    pub fn startup_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.startup = path.into();
        self
    }

    #[doc(hidden)]
    /// Serves exactly these `#[health_check]`s (plus the builder's checks) instead of
    /// every one linked into the binary.
    #[must_use]
    pub fn only(mut self, checks: impl IntoIterator<Item = &'static StaticCheck>) -> Self {
        self.only = Some(checks.into_iter().collect());
        self
    }

    /// Serves only the checks carrying at least one of these tags.
    ///
    /// ```
    /// use health_runtime::{Check, Health, RouteOptions};
    ///
    /// let health = Health::builder()
    ///     .check(Check::new("replica", || async { true }).tags(["db"]))
    ///     .build()
    ///     .unwrap();
    /// let db_only: axum::Router = health.router_with(RouteOptions::new().tags(["db"]));
    /// # let _ = db_only;
    /// ```
    #[must_use]
    pub fn tags<I, T>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Cow<'static, str>>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a route at `path` reporting, like readiness, on the checks that carry at
    /// least one of `tags` (for example `/health/db` over the checks tagged `db`).
    ///
    /// ```
    /// use health_runtime::{Check, Health, RouteOptions};
    ///
    /// let health = Health::builder()
    ///     .check(Check::new("replica", || async { true }).tags(["db"]))
    ///     .build()
    ///     .unwrap();
    /// let app: axum::Router = health.router_with(RouteOptions::new().group("/health/db", ["db"]));
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn group<I, T>(mut self, path: impl Into<Cow<'static, str>>, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let tags = tags.into_iter().map(Into::into).collect();
        self.groups.push((path.into(), tags));
        self
    }

    /// Answers the reports whose status is `status` with `code` instead of the default:
    /// 200 for the statuses that pass (`alive`, `started`, `ready`, `degraded`) and 503 for
    /// the others. For instance `degraded` as 207, or as 429 or 503 so that a non-critical
    /// failure takes the instance out of rotation. `code` must be a 2xx with a body (not 204
    /// or 205), a 4xx or a 5xx: [`Health::try_router_with`](crate::Health::try_router_with)
    /// refuses any other with [`ConfigError::InvalidStatusCode`]. gRPC answers are
    /// unaffected, and so are error bodies (400, 404, 405).
    ///
    /// ```
    /// use health_runtime::report::ReportStatus;
    /// use health_runtime::{ConfigError, Health, RouteOptions};
    ///
    /// let options = RouteOptions::new().status_code(ReportStatus::Degraded, 207);
    /// let app: axum::Router = Health::new().router_with(options);
    /// # let _ = app;
    ///
    /// let options = RouteOptions::new().status_code(ReportStatus::Degraded, 302);
    /// let error = Health::new().try_router_with::<()>(options).unwrap_err();
    /// assert!(matches!(error, ConfigError::InvalidStatusCode { code: 302, .. }));
    /// ```
    #[must_use]
    pub fn status_code(mut self, status: ReportStatus, code: u16) -> Self {
        self.codes.set(status, code);
        self
    }

    /// Answers every report with 200, its status only in the body: for a monitor that reads
    /// `"status"` and would count any other code as an outage. Not for the orchestrator's
    /// probes, which then never fail: serve it on its own router, e.g. nested under
    /// `/monitor`. It wins over [`RouteOptions::status_code`]; error bodies keep their codes.
    ///
    /// ```
    /// use health_runtime::{Health, RouteOptions};
    ///
    /// let health = Health::new();
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(health.router())
    ///     .nest("/monitor", health.router_with(RouteOptions::new().always_ok()));
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn always_ok(mut self) -> Self {
        self.codes.always_ok();
        self
    }

    /// Refuses status codes a report cannot be answered with.
    pub(crate) fn validate_status_codes(&self) -> Result<(), ConfigError> {
        self.codes.validate()
    }

    /// Whether the router serves every check of its handle.
    pub(crate) fn selects_all(&self) -> bool {
        self.only.is_none() && self.tags.is_empty()
    }

    pub(crate) fn validate_paths(&self) -> Result<(), ConfigError> {
        for tag in self.groups.iter().flat_map(|(_, tags)| tags.iter()) {
            validate_name(tag).map_err(|reason| ConfigError::InvalidPath {
                path: format!("group tag `{tag}`"),
                reason: reason.to_string(),
            })?;
        }
        let probes = [
            ("liveness", &self.liveness),
            ("readiness", &self.readiness),
            ("startup", &self.startup),
        ];
        for (probe, path) in probes {
            validate_probe_path(probe, path).map_err(|reason| ConfigError::InvalidPath {
                path: path.to_string(),
                reason: reason.to_string(),
            })?;
        }
        for (path, _) in &self.groups {
            validate_path(path).map_err(|reason| ConfigError::InvalidPath {
                path: path.to_string(),
                reason: reason.to_string(),
            })?;
        }
        // Each route with whether it also serves `{path}/{name}`.
        let routes: Vec<(&str, bool)> = probes
            .into_iter()
            .map(|(probe, path)| (path.as_ref(), has_single_check_routes(probe)))
            .chain(self.groups.iter().map(|(path, _)| (path.as_ref(), false)))
            .collect();
        for (i, (path, _)) in routes.iter().enumerate() {
            for (j, (other, single_checks)) in routes.iter().enumerate() {
                let conflict = path_conflict(path, other, *single_checks);
                let reason = match conflict {
                    Some(PathConflict::Same) if i < j => {
                        "two probes cannot share a path".to_owned()
                    }
                    Some(PathConflict::Shadows) => format!(
                        "it is under `{other}`, whose `{other}/{{name}}` routes serve single checks"
                    ),
                    _ => continue,
                };
                return Err(ConfigError::InvalidPath {
                    path: path.to_string(),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// The checks the router serves, out of those of `state`.
    pub(crate) fn select(&self, state: &HealthState) -> Vec<Check> {
        let mut checks = match &self.only {
            None => state.checks(),
            Some(only) => {
                let mut checks = state.builder_checks();
                checks.extend(only.iter().copied().map(Check::from_static));
                checks
            }
        };
        if !self.tags.is_empty() {
            checks.retain(|check| check.has_any_tag(&self.tags));
        }
        checks
    }
}
