//! The `Health` handle: the checks, resources, secrets and lifecycle of one service, and
//! the routers (and, with their features, the other transports) that serve them.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;

use crate::check::{Check, Resources, ensure_unique, registered_checks};
use crate::error::ConfigError;
use crate::history::{self, History};
use crate::http::{self, DetailsPolicy, RouteOptions};
use crate::probe::{Beacons, HealthState, Prober, ReuseSettings, ShutdownGuard};
use crate::publish::{Publisher, PublisherStats, Publishing, PublishingSettings};
use crate::redact::Secrets;
use crate::run::Hooks;
use crate::run::change::{Hook, StatusChange};

/// The handle a service keeps: the resources its checks use, the checks registered with
/// the builder, and the shutdown state. Cheap to clone; every clone is the same handle,
/// and every router built from it shares its checks' cached results, runs in flight and
/// startup latch.
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

struct Inner {
    state: Arc<HealthState>,
    drain_delay: Duration,
    details: DetailsPolicy,
    /// The probes over every check of the handle, shared by every router that serves them
    /// all.
    prober: OnceLock<Arc<Prober>>,
    /// The work holding shutdown ([`Health::hold_shutdown`]).
    beacons: Arc<Beacons>,
    /// Every run recorded, when history is on.
    history: Option<History>,
    history_path: String,
    publishing: Option<Arc<Publishing>>,
    #[cfg(feature = "ui")]
    page: Option<crate::ui::PageSettings>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("checks", &self.state.checks().len())
            .field("resources", &self.state.resources)
            .field("drain_delay", &self.drain_delay)
            .field("details", &self.details)
            .finish_non_exhaustive()
    }
}

impl Default for Health {
    fn default() -> Self {
        Health::new()
    }
}

impl Health {
    /// A handle over every `#[health_check]` linked into the binary.
    ///
    /// A `#[health_check]` in a library crate is linked only when the binary names that
    /// crate (a `use` of anything in it, or `use my_checks as _;`); to be told when one is
    /// missing, list the checks you expect with [`HealthBuilder::expect_checks`].
    pub fn new() -> Self {
        HealthBuilder::default().assemble()
    }

    /// A builder, to add checks without macros or change defaults.
    pub fn builder() -> HealthBuilder {
        HealthBuilder::default()
    }

    /// The process-wide handle used by `health_routes!()` without an argument.
    ///
    /// ```
    /// use health_runtime::Health;
    ///
    /// struct Model;
    /// Health::global().provide(Model);
    /// assert!(Health::global().resources().contains::<Model>());
    /// ```
    pub fn global() -> &'static Health {
        static GLOBAL: OnceLock<Health> = OnceLock::new();
        GLOBAL.get_or_init(Health::new)
    }

    /// Provides a resource to the checks that take `&T`, replacing and returning the
    /// previous one. Until it is provided, those checks report `"T not initialised"`.
    /// `provide(Arc::new(value))` satisfies `&T` as well.
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.inner.state.resources.provide(value)
    }

    /// Removes the resource of type `T`; the checks that take `&T` report not initialised.
    ///
    /// ```
    /// struct Pool;
    ///
    /// let health = health_runtime::Health::new();
    /// health.provide(Pool);
    /// assert!(health.remove::<Pool>().is_some());
    /// assert!(!health.resources().contains::<Pool>());
    /// ```
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.state.resources.remove::<T>()
    }

    /// The resources the checks look up by type, as [`Check::from_fn`] receives them.
    pub fn resources(&self) -> &Resources {
        &self.inner.state.resources
    }

    /// Registers a secret the service holds (a password, an API key): that exact value,
    /// and its URL-encoded forms, never appear in a report or a log line.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// health.secret("sk-live-0123456789");
    /// assert!(!health.secrets().is_empty());
    /// ```
    pub fn secret(&self, value: impl AsRef<str>) -> &Self {
        self.secrets().add(value);
        self
    }

    /// The secrets scrubbed from every report and log line of this handle's checks.
    pub fn secrets(&self) -> &Secrets {
        self.inner.state.resources.secrets()
    }

    /// Every check of this handle: those added with the builder, then (unless the
    /// builder said [`HealthBuilder::without_registered`]) every `#[health_check]`.
    ///
    /// ```
    /// use health_runtime::{Check, Health};
    ///
    /// let health = Health::builder()
    ///     .without_registered()
    ///     .check(Check::new("disk", || async {}))
    ///     .build()
    ///     .unwrap();
    /// let names: Vec<_> = health.checks().iter().map(|c| c.name().to_owned()).collect();
    /// assert_eq!(names, ["disk"]);
    /// ```
    pub fn checks(&self) -> Vec<Check> {
        self.inner.state.checks()
    }

    /// Begins shutdown: from now on readiness answers 503 `{"status":"shutting_down"}`
    /// while liveness keeps answering 200. [`Health::shutdown_signal`] calls it on SIGTERM.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert!(!health.is_shutting_down());
    /// health.begin_shutdown();
    /// assert!(health.is_shutting_down());
    /// ```
    pub fn begin_shutdown(&self) {
        if self.inner.state.lifecycle.begin_shutdown() {
            tracing::info!("shutdown began; readiness now reports shutting_down");
        }
    }

    /// Whether shutdown began, by a signal or [`Health::begin_shutdown`].
    pub fn is_shutting_down(&self) -> bool {
        self.inner.state.lifecycle.is_shutting_down()
    }

    /// Takes the instance out of rotation (maintenance, the application's own circuit
    /// breaker open): until [`Health::set_available`], readiness and every readiness-like
    /// route (single checks, tag groups, `?exclude=`) answer 503
    /// `{"status":"unavailable","reason":"..."}` without running checks, and the gRPC
    /// services of readiness answer `NOT_SERVING`. Liveness and startup are unaffected. The
    /// reason is redacted like an error; each change is logged.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// health.set_unavailable("maintenance until 02:00");
    /// assert!(!health.is_available());
    /// health.set_available();
    /// assert!(health.is_available());
    /// ```
    pub fn set_unavailable(&self, reason: impl AsRef<str>) {
        let state = &self.inner.state;
        let secrets = state.resources.secrets();
        state.availability.set_unavailable(reason.as_ref(), secrets);
    }

    /// Puts the instance back into rotation after [`Health::set_unavailable`]: readiness
    /// reports its checks again.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// health.set_unavailable("circuit breaker open");
    /// health.set_available();
    /// assert!(health.is_available());
    /// ```
    pub fn set_available(&self) {
        self.inner.state.availability.set_available();
    }

    /// Whether the instance is in rotation, as far as the application is concerned (see
    /// [`Health::set_unavailable`]); its checks and shutdown still decide readiness.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert!(health.is_available());
    /// health.begin_shutdown();
    /// assert!(health.is_available()); // shutdown is told apart: `is_shutting_down`
    /// ```
    pub fn is_available(&self) -> bool {
        self.inner.state.availability.unavailable().is_none()
    }

    /// Declares the process broken beyond repair (a state only a restart cures, Spring's
    /// `LivenessState.BROKEN`): from now on liveness answers 503
    /// `{"status":"broken","reason":"..."}` and the gRPC `liveness` service `NOT_SERVING`,
    /// so the orchestrator restarts the container. It cannot be undone; a second call only
    /// replaces the reason. Logged as an error.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert!(!health.is_broken());
    /// health.mark_broken("worker pool deadlocked");
    /// assert!(health.is_broken());
    /// ```
    pub fn mark_broken(&self, reason: impl AsRef<str>) {
        let state = &self.inner.state;
        let secrets = state.resources.secrets();
        state.availability.mark_broken(reason.as_ref(), secrets);
    }

    /// Whether [`Health::mark_broken`] was called.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert!(!health.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.inner.state.availability.is_broken()
    }

    /// How long [`Health::shutdown_signal`] waits between taking the instance out of
    /// readiness and letting the server stop.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .drain_delay(Duration::from_secs(10))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(health.drain_delay(), Duration::from_secs(10));
    /// ```
    pub fn drain_delay(&self) -> Duration {
        self.inner.drain_delay
    }

    /// The lifecycle, availability and resources the probes read, for the server.
    pub(crate) fn state(&self) -> &Arc<HealthState> {
        &self.inner.state
    }

    /// The shutdown guards, for the server that waits for them.
    pub(crate) fn beacons(&self) -> &Arc<Beacons> {
        &self.inner.beacons
    }

    /// A future for `axum::serve(...).with_graceful_shutdown(...)` (or another server's
    /// shutdown hook; [`serve()`](crate::serve()) does all this and bounds the shutdown): it waits for SIGTERM,
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
        health.inner.state.lifecycle.listen();
        async move {
            let lifecycle = &health.inner.state.lifecycle;
            lifecycle.listen();
            tokio::select! {
                () = lifecycle.signalled(1) => {}
                () = lifecycle.shutdown_began() => {}
            }
            health.begin_shutdown();
            tokio::time::sleep(health.inner.drain_delay).await;
        }
    }

    /// Holds shutdown while the guard lives: after SIGTERM, [`serve()`](crate::serve()) keeps the process up
    /// (readiness answering 503 `shutting_down`) until every guard is dropped or its
    /// shutdown timeout expires, and names the guards still held then in a warning log.
    /// For work that must not be cut off: a reindex, an upload, a queue message in hand.
    ///
    /// ```
    /// # async fn reindex() {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let health = health_runtime::Health::new();
    /// let guard = health.hold_shutdown("reindex");
    /// let work = tokio::spawn(async move {
    ///     reindex().await;
    ///     drop(guard); // shutdown may now proceed
    /// });
    /// # work.await.unwrap();
    /// # assert!(health.shutdown_held().is_empty());
    /// # }
    /// ```
    pub fn hold_shutdown(&self, name: impl Into<String>) -> ShutdownGuard {
        self.inner.beacons.hold(name.into())
    }

    /// The names of the [`Health::hold_shutdown`] guards held now, oldest first.
    pub fn shutdown_held(&self) -> Vec<String> {
        self.inner.beacons.held()
    }

    /// The probes over every check of the handle; starts the publishers, when inside a
    /// tokio runtime.
    fn prober(&self) -> Arc<Prober> {
        let state = &self.inner.state;
        let prober = Arc::clone(
            self.inner
                .prober
                .get_or_init(|| Arc::new(Prober::new(Arc::clone(state), state.own_runners()))),
        );
        if let Some(publishing) = &self.inner.publishing {
            publishing.start(&prober);
        }
        prober
    }

    /// The recent results, transitions and uptime of every check, unless
    /// [`HealthBuilder::history`] turned history off. The routers serve it as JSON at
    /// `/health/history` ([`HealthBuilder::history_path`]).
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert_eq!(health.history().unwrap().capacity(), 256);
    /// let off = health_runtime::Health::builder().history(0).build().unwrap();
    /// assert!(off.history().is_none());
    /// ```
    pub fn history(&self) -> Option<&History> {
        self.inner.history.as_ref()
    }

    /// How each publisher ([`HealthBuilder::publisher`]) fared so far: events delivered,
    /// failed, dropped from a full queue, and waiting.
    ///
    /// ```
    /// let health = health_runtime::Health::new();
    /// assert!(health.publisher_stats().is_empty());
    /// ```
    pub fn publisher_stats(&self) -> Vec<PublisherStats> {
        self.inner
            .publishing
            .as_ref()
            .map(|publishing| publishing.stats())
            .unwrap_or_default()
    }

    /// The `grpc.health.v1.Health` service over every check of this handle, sharing the
    /// default router's cached results, runs in flight and startup latch: service `""`
    /// answers like readiness, `liveness`, `readiness` and `startup` like those probes,
    /// a check's name like that check (see [`grpc::HealthService`](crate::grpc::HealthService)).
    ///
    /// ```no_run
    /// # async fn serve(health: health_runtime::Health) -> Result<(), tonic::transport::Error> {
    /// tonic::transport::Server::builder()
    ///     .add_service(health.grpc())
    ///     .serve_with_shutdown("127.0.0.1:50051".parse().unwrap(), health.shutdown_signal())
    ///     .await
    /// # }
    /// ```
    #[cfg(feature = "grpc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
    pub fn grpc(&self) -> crate::grpc::HealthService {
        let state = Arc::clone(&self.inner.state);
        crate::grpc::HealthService::new(self.prober(), state, self.inner.drain_delay)
    }

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
    /// ```
    /// use health_runtime::{Health, RouteOptions};
    ///
    /// let options = RouteOptions::new().liveness_path("/livez").readiness_path("/readyz");
    /// let app: axum::Router = Health::new().router_with(options);
    /// # let _ = app;
    /// ```
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
    ///
    /// ```
    /// use health_runtime::{Health, RouteOptions};
    ///
    /// let error = Health::new()
    ///     .try_router_with::<()>(RouteOptions::new().readiness_path("ready"))
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("must start with `/`"));
    /// ```
    pub fn try_router_with<S>(&self, options: RouteOptions) -> Result<Router<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
    {
        options.validate_paths()?;
        options.validate_status_codes()?;
        let prober = if options.selects_all() {
            self.prober()
        } else {
            let state = &self.inner.state;
            let checks = options.select(state);
            ensure_unique(&checks)?;
            for check in &checks {
                check.validate()?;
            }
            let runners = checks.iter().map(|check| state.runner_for(check)).collect();
            Arc::new(Prober::new(Arc::clone(state), runners))
        };
        let mut router = http::router(Arc::clone(&prober), self.inner.details.clone(), &options);
        // The operator's routes cover every check of the handle: they come with the
        // routers that serve them all, not with a selection.
        if options.selects_all() {
            router = router.merge(self.operator_routes(prober));
        }
        Ok(router)
    }

    /// The history route and, with the `ui` feature, the status page.
    fn operator_routes<S>(&self, prober: Arc<Prober>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let inner = &self.inner;
        let mut router = Router::new();
        if let Some(history) = &inner.history {
            router = router.merge(http::history_router(
                history.clone(),
                &inner.details,
                &inner.history_path,
            ));
        }
        #[cfg(feature = "ui")]
        if let Some(page) = &inner.page {
            let state = Arc::clone(&inner.state);
            let history = inner.history.clone();
            router = router.merge(crate::ui::router(
                page,
                prober,
                state,
                history,
                &inner.details,
            ));
        }
        #[cfg(not(feature = "ui"))]
        let _ = prober;
        router
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
pub struct HealthBuilder {
    checks: Vec<Check>,
    include_registered: bool,
    drain_delay: Duration,
    reuse: ReuseSettings,
    details: DetailsPolicy,
    secrets: Vec<String>,
    secret_vars: Vec<String>,
    expected: Vec<String>,
    hooks: Vec<Box<Hook>>,
    history: usize,
    history_path: String,
    publishing: PublishingSettings,
    #[cfg(feature = "ui")]
    page: Option<crate::ui::PageSettings>,
}

impl std::fmt::Debug for HealthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthBuilder")
            .field("checks", &self.checks)
            .field("include_registered", &self.include_registered)
            .field("drain_delay", &self.drain_delay)
            .field("reuse", &self.reuse)
            .field("details", &self.details)
            .field("secrets", &self.secrets.len())
            .field("secret_vars", &self.secret_vars)
            .field("expected", &self.expected)
            .field("hooks", &self.hooks.len())
            .field("history", &self.history)
            .field("history_path", &self.history_path)
            .field("publishers", &self.publishing.publishers.len())
            .finish_non_exhaustive()
    }
}

impl Default for HealthBuilder {
    fn default() -> Self {
        HealthBuilder {
            checks: Vec::new(),
            include_registered: true,
            drain_delay: Duration::from_secs(5),
            reuse: ReuseSettings::default(),
            details: DetailsPolicy::Full,
            secrets: Vec::new(),
            secret_vars: Vec::new(),
            expected: Vec::new(),
            hooks: Vec::new(),
            history: history::DEFAULT_CAPACITY,
            history_path: DEFAULT_HISTORY_PATH.to_owned(),
            publishing: PublishingSettings::default(),
            #[cfg(feature = "ui")]
            page: Some(crate::ui::PageSettings::default()),
        }
    }
}

/// Where the routers serve the history by default.
const DEFAULT_HISTORY_PATH: &str = "/health/history";

impl HealthBuilder {
    /// Adds a check.
    #[must_use]
    pub fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }

    /// Leaves out the `#[health_check]`s linked into the binary: only the builder's
    /// checks run. For tests and binaries that host several services.
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .without_registered()
    ///     .build()
    ///     .unwrap();
    /// assert!(health.checks().is_empty());
    /// ```
    #[must_use]
    pub fn without_registered(mut self) -> Self {
        self.include_registered = false;
        self
    }

    /// Names checks that must exist: [`HealthBuilder::build`] fails, naming the missing
    /// ones, when one is neither added nor linked into the binary — which is what happens
    /// to a `#[health_check]` in a library crate the binary never names (the linker drops
    /// crates nothing refers to; `use my_checks as _;` in the binary keeps it).
    ///
    /// ```
    /// use health_runtime::{Check, Health};
    ///
    /// let error = Health::builder()
    ///     .without_registered()
    ///     .check(Check::new("postgres", || async {}))
    ///     .expect_checks(["postgres", "redis"])
    ///     .build()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("`redis`"));
    /// ```
    #[must_use]
    pub fn expect_checks<I, T>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.expected.extend(names.into_iter().map(Into::into));
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
    ///
    /// A check's first result expires early by the replica's phase of the TTL (see
    /// [`background`](Self::background)) and a random part of its [jitter](Self::jitter),
    /// so that replicas started together under the same probe traffic do not all run the
    /// check again at the same instant; every later result is served for the whole TTL,
    /// which keeps the replicas apart and the check at most one run per TTL. A result is
    /// never served past `ttl`.
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.reuse.ttl = ttl;
        self
    }

    /// The cache TTL of the check named `name`, overriding [`HealthBuilder::cache_ttl`].
    #[must_use]
    pub fn cache_ttl_for(mut self, name: impl Into<String>, ttl: Duration) -> Self {
        self.reuse.ttl_for.insert(name.into(), ttl);
        self
    }

    /// Runs every check every `period` in the background and serves the latest result,
    /// so probes do no I/O of their own however often they arrive. Each entry's `age_ms`
    /// tells how old its result is. The refresh starts with the first router built inside
    /// a tokio runtime and ends with the handle; a request that comes before a check's
    /// first background run runs it. [`Check::background`] sets a check's own period.
    ///
    /// So that a fleet of replicas started together does not run its checks at the same
    /// instants (500 replicas, one database), each check's runs are spread:
    ///
    /// - its first run comes after the [initial delay](Self::initial_delay) and its
    ///   *phase* of the period: a fraction in `[0, 1)` derived from the
    ///   [replica's identity](Self::replica_identity) (the pod's `HOSTNAME`) and the
    ///   check's name, the same at every restart. A process with no identity has phase 0
    ///   and runs its checks at once;
    /// - each next run comes a period after the previous one started, give or take its
    ///   [jitter](Self::jitter) (10 %), drawn anew each time;
    /// - after the second consecutive failure of a readiness-only check (a dependency), the
    ///   delay doubles with each failure up to the [backoff's cap](Self::max_backoff) (four
    ///   periods), jittered as well, so that when an outage ends the replicas come back
    ///   spread as they were, not all at once. A check that serves startup or liveness
    ///   watches the process itself and keeps its period: backing off would hide a model
    ///   that finished loading until the startup budget ran out.
    ///
    /// [`without_spread`](Self::without_spread) runs every replica on the same instants.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .background(Duration::from_secs(5))
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn background(mut self, period: Duration) -> Self {
        self.reuse.background = Some(period).filter(|period| !period.is_zero());
        self
    }

    /// How long after the background refresh starts each check first runs, before its
    /// phase (default: none), as `WithPeriodicCheck`'s `initialDelay` in Go's
    /// `alexliesenfeld/health`; [`Check::initial_delay`] overrides it per check.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .background(Duration::from_secs(10))
    ///     .initial_delay(Duration::from_secs(2))
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.reuse.initial_delay = delay;
        self
    }

    /// The fraction of each background delay drawn at random, `± fraction` of it
    /// (default 0.1; clamped to `0.0 ..= 0.5`); a check's first cached result expires
    /// early by up to that fraction of its TTL. 0 turns jitter off and keeps the phase and
    /// backoff.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .background(Duration::from_secs(10))
    ///     .jitter(0.2)
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.reuse.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, crate::run::schedule::MAX_JITTER)
        };
        self
    }

    /// The identity the checks' phases derive from (default: the `HOSTNAME` environment
    /// variable, which is the pod's name on Kubernetes, else
    /// `CONTAINER_APP_REPLICA_NAME` on Azure Container Apps; an empty one gives phase 0).
    /// A name that ends in a number, as a StatefulSet's `web-7`, spreads consecutive
    /// ordinals evenly over the period; any other name is hashed (FNV-1a, the same on
    /// every platform and version), which spreads many replicas uniformly.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // Tests and benchmarks that host many replicas in one process name each one.
    /// let replicas: Vec<_> = (0..3)
    ///     .map(|n| {
    ///         health_runtime::Health::builder()
    ///             .background(Duration::from_secs(10))
    ///             .replica_identity(format!("pod-{n}"))
    ///             .build()
    ///             .unwrap()
    ///     })
    ///     .collect();
    /// # let _ = replicas;
    /// ```
    #[must_use]
    pub fn replica_identity(mut self, identity: impl Into<String>) -> Self {
        self.reuse.identity = Some(identity.into());
        self
    }

    /// The longest delay between background runs of a failing readiness-only check, give or take its
    /// jitter (default: four of its periods; never less than one); `Duration::ZERO` turns
    /// backoff off, a failing check keeping its period. A longer cap spares a dependency that is down, at the cost of noticing its
    /// recovery that much later.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .background(Duration::from_secs(5))
    ///     .max_backoff(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn max_backoff(mut self, cap: Duration) -> Self {
        self.reuse.max_backoff = Some(cap);
        self
    }

    /// Runs checks with no phase, jitter nor backoff: every replica on the same instants,
    /// as a plain interval from the start, and TTLs exactly as given. For comparisons and
    /// for tests that count runs to the period.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let health = health_runtime::Health::builder()
    ///     .background(Duration::from_secs(5))
    ///     .without_spread()
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn without_spread(mut self) -> Self {
        self.reuse.spread = false;
        self
    }

    /// How much of a report responses show (default [`DetailsPolicy::Full`]).
    #[must_use]
    pub fn details(mut self, policy: DetailsPolicy) -> Self {
        self.details = policy;
        self
    }

    /// A secret the service holds, scrubbed from every report and log line (see
    /// [`Health::secret`]).
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .secret("hunter2")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(health.secrets().scrub("login hunter2"), "login ***");
    /// ```
    #[must_use]
    pub fn secret(mut self, value: impl Into<String>) -> Self {
        self.secrets.push(value.into());
        self
    }

    /// The value of the environment variable `name`, when set, as a secret: the usual way
    /// to cover the credentials a service reads from its environment.
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .secret_from_env("DATABASE_PASSWORD")
    ///     .secret_from_env("AZURE_OPENAI_API_KEY")
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn secret_from_env(mut self, name: impl Into<String>) -> Self {
        self.secret_vars.push(name.into());
        self
    }

    /// Calls `hook` once per status transition of a check (`healthy` → `unhealthy`, with
    /// the error) or of a probe's whole report (`ready` → `not_ready`, → `shutting_down`):
    /// the events the transition log records, for a webhook, a publisher or an alert. The
    /// first result of each is a transition from `None`.
    ///
    /// The hook runs where the transition is recorded, outside any lock: keep it quick and
    /// hand slow work (an HTTP call) to a task or a channel. A hook that panics is logged
    /// and the others still run.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use health_runtime::report::Subject;
    /// use health_runtime::{Check, Health};
    ///
    /// let (changes, received) = mpsc::channel();
    /// let health = Health::builder()
    ///     .without_registered()
    ///     .check(Check::new("database", || async { true }))
    ///     .on_change(move |change| {
    ///         if let Subject::Check(name) = &change.subject {
    ///             let _ = changes.send(format!("{name}: {}", change.to));
    ///         }
    ///     })
    ///     .build()?;
    /// # let _ = (health, received);
    /// # Ok::<(), health_runtime::ConfigError>(())
    /// ```
    #[must_use]
    pub fn on_change(mut self, hook: impl Fn(&StatusChange) + Send + Sync + 'static) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }

    /// How many results the history keeps per check (default 256; and the last 64
    /// transitions); 0 turns history off, and with it `/health/history`. Each check's rings
    /// are allocated once, so recording a run allocates nothing: 64 bytes per result and
    /// per transition, plus the errors they share with the reports.
    ///
    /// ```
    /// let health = health_runtime::Health::builder().history(1024).build().unwrap();
    /// assert_eq!(health.history().unwrap().capacity(), 1024);
    /// ```
    #[must_use]
    pub fn history(mut self, capacity: usize) -> Self {
        self.history = capacity;
        self
    }

    /// Where the routers serve the history as JSON (default `/health/history`), under the
    /// same [`DetailsPolicy`] as the reports: the full history for whoever sees the full
    /// report, 403 (status only) or 401 (without the token) for the others, naming no
    /// check. `?check=name` answers for one check.
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .history_path("/ops/history")
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn history_path(mut self, path: impl Into<String>) -> Self {
        self.history_path = path.into();
        self
    }

    /// Adds a publisher: handed every status change as it happens and, with
    /// [`HealthBuilder::publish_every`], the readiness report on that period, off the
    /// probe path (see [`publish`](crate::publish)). Its [secrets](Publisher::secrets)
    /// (a webhook's URL) are registered with the handle's.
    #[must_use]
    pub fn publisher(mut self, publisher: impl Publisher) -> Self {
        for secret in publisher.secrets() {
            self.secrets.push(secret);
        }
        self.publishing.publishers.push(Arc::new(publisher));
        self
    }

    /// Takes the readiness report every `period` and hands it to the publishers (by
    /// default only status changes are published).
    #[must_use]
    pub fn publish_every(mut self, period: Duration) -> Self {
        self.publishing.every = Some(period).filter(|period| !period.is_zero());
        self
    }

    /// How many events each publisher's queue holds (default 64): when a slow sink lets
    /// it fill, further events are dropped and counted, and no probe ever waits.
    #[must_use]
    pub fn publish_queue(mut self, capacity: usize) -> Self {
        self.publishing.queue = capacity.max(1);
        self
    }

    /// How long a publisher may take over one event, retries included, before it counts
    /// as failed and the next event is handed over (default 30 s).
    #[must_use]
    pub fn publish_timeout(mut self, timeout: Duration) -> Self {
        self.publishing.timeout = timeout;
        self
    }

    /// Serves the status page at `path` (default `/health/ui`) with every router that
    /// serves all the handle's checks (see [`ui`](crate::ui)).
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .status_page("/ops/health")
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[cfg(feature = "ui")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ui")))]
    #[must_use]
    pub fn status_page(mut self, path: impl Into<String>) -> Self {
        let fleet = self.page.take().and_then(|page| page.fleet);
        self.page = Some(crate::ui::PageSettings {
            path: path.into(),
            fleet,
        });
        self
    }

    /// Serves no status page, although the `ui` feature is on.
    ///
    /// ```
    /// let health = health_runtime::Health::builder()
    ///     .without_status_page()
    ///     .build()
    ///     .unwrap();
    /// # let _ = health;
    /// ```
    #[cfg(feature = "ui")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ui")))]
    #[must_use]
    pub fn without_status_page(mut self) -> Self {
        self.page = None;
        self
    }

    /// Shows the other instances of the service on the status page (see
    /// [`Fleet`](crate::ui::Fleet)).
    #[cfg(feature = "ui")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ui")))]
    #[must_use]
    pub fn fleet(mut self, fleet: crate::ui::Fleet) -> Self {
        let page = self.page.get_or_insert_with(Default::default);
        page.fleet = Some(fleet);
        self
    }

    /// Validates the checks (names, tags, timeouts, unique names, the expected checks),
    /// the details policy's token (see [`DetailsPolicy::full_with_token`]) and the
    /// operator's routes, and builds the handle.
    pub fn build(self) -> Result<Health, ConfigError> {
        self.details.validate()?;
        health_rules::validate_path(&self.history_path).map_err(|reason| {
            ConfigError::InvalidPath {
                path: self.history_path.clone(),
                reason: reason.to_string(),
            }
        })?;
        #[cfg(feature = "ui")]
        if let Some(page) = &self.page {
            page.validate()?;
        }
        for check in &self.checks {
            check.validate()?;
        }
        let ttl_names: Vec<String> = self.reuse.ttl_for.keys().cloned().collect();
        let expected = self.expected.clone();
        let health = self.assemble();
        let checks = health.checks();
        ensure_unique(&checks)?;
        let known = || checks.iter().map(|check| check.name().to_owned()).collect();
        for name in ttl_names {
            if !checks.iter().any(|check| check.name() == name) {
                return Err(ConfigError::UnknownCheck {
                    name,
                    setting: "cache_ttl_for",
                    known: known(),
                });
            }
        }
        let missing: Vec<String> = expected
            .into_iter()
            .filter(|name| !checks.iter().any(|check| check.name() == name))
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::MissingChecks {
                missing,
                known: known(),
            });
        }
        Ok(health)
    }

    fn assemble(self) -> Health {
        let builder = self.checks.len();
        let mut checks = self.checks;
        if self.include_registered {
            checks.extend(registered_checks());
        }
        let history = History::new(self.history);
        let mut hooks = self.hooks;
        let publishing = Publishing::new(self.publishing);
        if let Some(publishing) = &publishing {
            let publishing = Arc::clone(publishing);
            hooks.push(Box::new(move |change| publishing.changed(change)));
        }
        let hooks = Hooks::new(hooks).with_history(history.clone());
        let mut reuse = self.reuse;
        reuse.resolve_identity();
        let state = HealthState::new(checks, builder, reuse, hooks);
        let secrets = state.resources.secrets();
        if let Some(publishing) = &publishing {
            publishing.use_secrets(secrets);
        }
        for secret in &self.secrets {
            secrets.add(secret);
        }
        for name in &self.secret_vars {
            if let Ok(value) = std::env::var(name) {
                secrets.add(value);
            }
        }
        Health {
            inner: Arc::new(Inner {
                state,
                drain_delay: self.drain_delay,
                details: self.details,
                prober: OnceLock::new(),
                beacons: Arc::default(),
                history,
                history_path: self.history_path,
                publishing,
                #[cfg(feature = "ui")]
                page: self.page,
            }),
        }
    }
}
