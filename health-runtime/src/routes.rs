//! Which checks and paths a router serves: the options of `health_routes!`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;

use crate::http::Endpoints;
use crate::{Check, ConfigError, Health, StaticCheck, validate_name};

/// The paths and check selection of a health router. `health_routes!(health, ...)`
/// builds one of these; without macros, pass it to [`Health::router_with`].
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
}

impl Default for RouteOptions {
    fn default() -> Self {
        RouteOptions {
            liveness: Cow::Borrowed("/health"),
            readiness: Cow::Borrowed("/health/ready"),
            startup: Cow::Borrowed("/health/started"),
            only: None,
            tags: Vec::new(),
            groups: Vec::new(),
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

    /// Serves exactly these `#[health_check]`s (plus the builder's checks) instead of
    /// every one linked into the binary.
    #[must_use]
    pub fn only(mut self, checks: impl IntoIterator<Item = &'static StaticCheck>) -> Self {
        self.only = Some(checks.into_iter().collect());
        self
    }

    /// Serves only the checks carrying at least one of these tags.
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

    fn validate_paths(&self) -> Result<(), ConfigError> {
        let paths: Vec<&Cow<'static, str>> = [&self.liveness, &self.readiness, &self.startup]
            .into_iter()
            .chain(self.groups.iter().map(|(path, _)| path))
            .collect();
        for tag in self.groups.iter().flat_map(|(_, tags)| tags.iter()) {
            validate_name(tag).map_err(|reason| ConfigError::InvalidPath {
                path: format!("group tag `{tag}`"),
                reason,
            })?;
        }
        for path in &paths {
            if let Some(reason) = path_problem(path) {
                return Err(ConfigError::InvalidPath {
                    path: path.to_string(),
                    reason,
                });
            }
        }
        for (i, a) in paths.iter().enumerate() {
            if paths[i + 1..].contains(a) {
                return Err(ConfigError::InvalidPath {
                    path: a.to_string(),
                    reason: "two probes cannot share a path",
                });
            }
        }
        Ok(())
    }

    fn select(&self, health: &Health) -> Vec<Check> {
        let mut checks = match &self.only {
            None => health.checks(),
            Some(only) => {
                let mut checks = health.builder_checks().to_vec();
                checks.extend(only.iter().copied().map(Check::from_static));
                checks
            }
        };
        if !self.tags.is_empty() {
            checks.retain(|check| check.has_any_tag(&self.tags));
        }
        checks.sort_by(|a, b| a.name().cmp(b.name()));
        checks
    }
}

/// Why `path` cannot be a health route path, if it cannot. `health_routes!` applies the
/// same rules at compile time.
fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("a route path must start with `/`")
    } else if path.contains(['{', '}', '*', '?', '#', ' ']) {
        Some("a health route path is literal: no `{`, `}`, `*`, `?`, `#` or spaces")
    } else if path.len() > 1 && path.ends_with('/') {
        Some("a route path must not end with `/`")
    } else if path.contains("//") {
        Some("a route path must not contain an empty segment `//`")
    } else {
        None
    }
}

/// Rejects two checks of the same name, naming both definitions.
pub(crate) fn ensure_unique(checks: &[Check]) -> Result<(), ConfigError> {
    let mut seen: HashMap<&str, &Check> = HashMap::with_capacity(checks.len());
    for check in checks {
        if let Some(first) = seen.insert(check.name(), check) {
            return Err(ConfigError::DuplicateName {
                name: check.name().to_owned(),
                first: first.source().to_owned(),
                second: check.source().to_owned(),
            });
        }
    }
    Ok(())
}

impl Health {
    /// The health routes with the default paths over every check of this handle.
    ///
    /// # Panics
    ///
    /// If two checks share a name; [`Health::try_router_with`] returns the error instead.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        self.router_with(RouteOptions::default())
    }

    /// The health routes as configured by `options`.
    ///
    /// # Panics
    ///
    /// On an invalid path or two checks of the same name, with a message naming both
    /// definitions; [`Health::try_router_with`] returns the error instead.
    #[track_caller]
    pub fn router_with<S>(&self, options: RouteOptions) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        match self.try_router_with(options) {
            Ok(router) => router,
            Err(error) => panic!("{error}"),
        }
    }

    /// The health routes as configured by `options`, or the configuration error.
    pub fn try_router_with<S>(&self, options: RouteOptions) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        options.validate_paths()?;
        let checks = options.select(self);
        ensure_unique(&checks)?;
        for check in &checks {
            check.validate()?;
        }
        Ok(Endpoints::new(self.clone(), checks, &options).into_router(&options))
    }
}
