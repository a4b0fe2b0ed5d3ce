//! The `Health` handle: resources, checks and lifecycle of one service.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::registry::registered_checks;
use crate::runner::Reuse;
use crate::{Check, ConfigError, DetailsPolicy, Resources};

/// The handle a service keeps: the resources its checks use, the checks registered with
/// the builder, and the shutdown state. Cheap to clone; every clone is the same handle.
///
/// ```
/// use health_runtime::{Check, Health};
///
/// struct Model;
///
/// let health = Health::builder()
///     .check(Check::new("builder_ping", || async {}))
///     .build()
///     .unwrap();
/// health.provide(Model);
/// assert!(health.resources().contains::<Model>());
/// let app: axum::Router = axum::Router::new().merge(health.router());
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Health {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    resources: Resources,
    checks: Vec<Check>,
    include_registered: bool,
    drain_delay: Duration,
    shutdown: watch::Sender<bool>,
    cache_ttl: Duration,
    cache_ttl_for: HashMap<String, Duration>,
    background: Option<Duration>,
    details: DetailsPolicy,
}

impl Default for Health {
    fn default() -> Self {
        Health::new()
    }
}

impl Health {
    /// A handle over every `#[health_check]` linked into the binary.
    pub fn new() -> Self {
        HealthBuilder::default().assemble()
    }

    /// A builder, to add checks without macros or change defaults.
    pub fn builder() -> HealthBuilder {
        HealthBuilder::default()
    }

    /// The process-wide handle used by `health_routes!()` without an argument.
    pub fn global() -> &'static Health {
        static GLOBAL: OnceLock<Health> = OnceLock::new();
        GLOBAL.get_or_init(Health::new)
    }

    /// Provides a resource to the checks that take `&T`, replacing and returning the
    /// previous one. Until it is provided, those checks report `"T not initialised"`.
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.inner.resources.provide(value)
    }

    /// Removes the resource of type `T`; the checks that take `&T` report not initialised.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.resources.remove::<T>()
    }

    /// The resource store.
    pub fn resources(&self) -> &Resources {
        &self.inner.resources
    }

    /// Every check of this handle: those added with the builder, then (unless the
    /// builder said [`HealthBuilder::without_registered`]) every `#[health_check]`.
    pub fn checks(&self) -> Vec<Check> {
        let mut checks = self.inner.checks.clone();
        if self.inner.include_registered {
            checks.extend(registered_checks());
        }
        checks
    }

    /// The checks added with the builder only.
    pub(crate) fn builder_checks(&self) -> &[Check] {
        &self.inner.checks
    }

    /// How the results of the check named `name` are reused between requests.
    pub(crate) fn reuse_for(&self, name: &str) -> Reuse {
        Reuse {
            ttl: self
                .inner
                .cache_ttl_for
                .get(name)
                .copied()
                .unwrap_or(self.inner.cache_ttl),
            background: self.inner.background.is_some(),
        }
    }

    /// The period of background refresh, if checks run in the background.
    pub(crate) fn background_period(&self) -> Option<Duration> {
        self.inner.background
    }

    /// How much of a report responses show.
    pub(crate) fn details_policy(&self) -> &DetailsPolicy {
        &self.inner.details
    }

    /// Begins shutdown: from now on readiness answers 503 `{"status":"shutting_down"}`
    /// while liveness keeps answering 200.
    pub fn begin_shutdown(&self) {
        if !self.inner.shutdown.send_replace(true) {
            tracing::info!("shutdown began; readiness now reports shutting_down");
        }
    }

    /// Whether shutdown began.
    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// How long [`Health::shutdown_signal`] waits between taking the instance out of
    /// readiness and letting the server stop.
    pub fn drain_delay(&self) -> Duration {
        self.inner.drain_delay
    }

    /// A future for `axum::serve(...).with_graceful_shutdown(...)`: it waits for SIGTERM,
    /// ctrl-c or [`Health::begin_shutdown`], flips readiness to `shutting_down` at once,
    /// waits the drain delay so the orchestrator stops routing new traffic here, then
    /// resolves so axum finishes in-flight requests and exits.
    ///
    /// ```no_run
    /// # async fn serve(app: axum::Router, listener: tokio::net::TcpListener) {
    /// let health = health_runtime::Health::new();
    /// axum::serve(listener, app)
    ///     .with_graceful_shutdown(health.shutdown_signal())
    ///     .await
    ///     .unwrap();
    /// # }
    /// ```
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let health = self.clone();
        async move {
            let mut begun = health.inner.shutdown.subscribe();
            tokio::select! {
                () = termination() => {}
                _ = begun.wait_for(|shutting_down| *shutting_down) => {}
            }
            health.begin_shutdown();
            tokio::time::sleep(health.inner.drain_delay).await;
        }
    }
}

async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                tokio::select! {
                    _ = sigterm.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only ctrl-c begins shutdown");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Builds a [`Health`] handle: checks added without macros, and defaults.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::{Check, DetailsPolicy, Health};
///
/// let health = Health::builder()
///     .check(Check::new("disk", || async { true }))
///     .cache_ttl(Duration::from_secs(1))
///     .cache_ttl_for("disk", Duration::from_secs(10))
///     .details(DetailsPolicy::StatusOnly)
///     .drain_delay(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// # let _ = health;
/// ```
#[derive(Debug)]
pub struct HealthBuilder {
    checks: Vec<Check>,
    include_registered: bool,
    drain_delay: Duration,
    cache_ttl: Duration,
    cache_ttl_for: HashMap<String, Duration>,
    background: Option<Duration>,
    details: DetailsPolicy,
}

impl Default for HealthBuilder {
    fn default() -> Self {
        HealthBuilder {
            checks: Vec::new(),
            include_registered: true,
            drain_delay: Duration::from_secs(5),
            cache_ttl: Duration::ZERO,
            cache_ttl_for: HashMap::new(),
            background: None,
            details: DetailsPolicy::Full,
        }
    }
}

impl HealthBuilder {
    /// Adds a check.
    #[must_use]
    pub fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }

    /// Leaves out the `#[health_check]`s linked into the binary: only the builder's
    /// checks run. For tests and binaries that host several services.
    #[must_use]
    pub fn without_registered(mut self) -> Self {
        self.include_registered = false;
        self
    }

    /// How long shutdown keeps serving after readiness turned `shutting_down`, so that
    /// load balancers see it before the server stops (default 5 s).
    #[must_use]
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
        self
    }

    /// Serves a check's result again to requests within `ttl` of the run that produced it,
    /// instead of running the check per request (default: no caching). Whatever the TTL,
    /// concurrent requests for a check always share one run in flight.
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The cache TTL of the check named `name`, overriding [`HealthBuilder::cache_ttl`].
    #[must_use]
    pub fn cache_ttl_for(mut self, name: impl Into<String>, ttl: Duration) -> Self {
        self.cache_ttl_for.insert(name.into(), ttl);
        self
    }

    /// Runs every check every `period` in a background task and serves the latest result,
    /// so probes do no I/O of their own however often they arrive. Each entry's `age_ms`
    /// tells how old its result is.
    #[must_use]
    pub fn background(mut self, period: Duration) -> Self {
        self.background = Some(period);
        self
    }

    /// How much of a report responses show (default [`DetailsPolicy::Full`]).
    #[must_use]
    pub fn details(mut self, policy: DetailsPolicy) -> Self {
        self.details = policy;
        self
    }

    /// Validates the checks (names, tags, timeouts, unique names) and builds the handle.
    pub fn build(self) -> Result<Health, ConfigError> {
        for check in &self.checks {
            check.validate()?;
        }
        let health = self.assemble();
        let checks = health.checks();
        crate::routes::ensure_unique(&checks)?;
        for name in health.inner.cache_ttl_for.keys() {
            if !checks.iter().any(|check| check.name() == name) {
                return Err(ConfigError::UnknownCheck {
                    name: name.clone(),
                    setting: "cache_ttl_for",
                    known: checks.iter().map(|check| check.name().to_owned()).collect(),
                });
            }
        }
        Ok(health)
    }

    fn assemble(self) -> Health {
        let (shutdown, _) = watch::channel(false);
        Health {
            inner: Arc::new(Inner {
                resources: Resources::default(),
                checks: self.checks,
                include_registered: self.include_registered,
                drain_delay: self.drain_delay,
                shutdown,
                cache_ttl: self.cache_ttl,
                cache_ttl_for: self.cache_ttl_for,
                background: self.background.filter(|period| !period.is_zero()),
                details: self.details,
            }),
        }
    }
}
