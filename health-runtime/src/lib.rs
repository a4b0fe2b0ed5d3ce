//! Kubernetes liveness, readiness and startup probes for axum services, declared with a
//! small compile-time checked DSL.
//!
//! A check is a plain `async fn` whose parameters are shared references to resources the
//! application provides at run time. `#[health_check]` registers it; `health_routes!`
//! serves `/health` (liveness), `/health/started` (startup) and `/health/ready`
//! (readiness), running each probe's checks concurrently, each bounded by its timeout.
//!
//! ```no_run
//! use axum::Router;
//! use health_runtime::{Health, health_check, health_routes};
//!
//! struct Model;
//!
//! #[health_check(name = "embedding_model", probe = ["startup", "readiness"])]
//! async fn embedding_model(_model: &Model) -> bool {
//!     true // present means loaded; while absent it reports "Model not initialised"
//! }
//!
//! #[health_check(timeout_ms = 500, critical = false)]
//! async fn scratch_disk() -> std::io::Result<()> {
//!     tokio::fs::metadata("/tmp").await.map(|_| ())
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     let health = Health::new();
//!     let app = Router::new().merge(health_routes!(health));
//!     health.provide(Model);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//!     axum::serve(listener, app)
//!         .with_graceful_shutdown(health.shutdown_signal())
//!         .await
//!         .unwrap();
//! }
//! ```
//!
//! Everything the macros do is also reachable through [`Health::builder`], [`Check`] and
//! [`RouteOptions`].

#![warn(missing_docs)]

mod check;
pub mod checks;
#[cfg(feature = "deploy")]
pub mod deploy;
mod details;
mod error;
mod health;
mod http;
mod ietf;
mod liveness;
#[cfg(feature = "metrics")]
pub mod metrics;
mod outcome;
mod probe;
mod redact;
mod registry;
mod report;
mod resources;
mod routes;
mod runner;

#[doc(hidden)]
pub mod __private;

pub use check::{
    Check, CheckFuture, DEFAULT_TIMEOUT_MS, MAX_NAME_LEN, MAX_TIMEOUT_MS, StaticCheck,
    validate_name,
};
pub use details::DetailsPolicy;
pub use error::ConfigError;
pub use health::{Health, HealthBuilder};
pub use ietf::HEALTH_JSON;
pub use liveness::{Heartbeat, RuntimeWatchdog};
pub use outcome::{CheckOutcome, CheckStatus, IntoCheckOutcome};
pub use probe::{Probe, ProbeSet, UnknownProbe};
pub use redact::{MAX_ERROR_LEN, redact};
pub use registry::RegisteredCheck;
pub use report::{CheckResult, Report, ReportStatus, Verdict};
pub use resources::{ResourceLookup, Resources};
pub use routes::RouteOptions;
pub use runner::run_checks;

/// Registers an `async fn` as a health check.
///
/// ```
/// # struct PgPool;
/// # impl PgPool { async fn ping(&self) -> Result<(), std::io::Error> { Ok(()) } }
/// use health_runtime::health_check;
///
/// #[health_check(name = "postgres", timeout_ms = 2000, probe = "readiness")]
/// async fn postgres(pool: &PgPool) -> Result<(), std::io::Error> {
///     pool.ping().await
/// }
/// ```
///
/// | argument | type | default | rule |
/// |---|---|---|---|
/// | `name` | string | the function's name | 1–63 chars of `[a-z0-9_.-]`, starting with a letter or digit; unique |
/// | `timeout_ms` | integer | 1000 | 1 ..= 240000 |
/// | `probe` | string or list | `"readiness"` | `"liveness"`, `"readiness"`, `"startup"`, no repeats |
/// | `critical` | bool | `true` | a failing non-critical check makes the report `degraded` (200) |
/// | `tags` | list of strings | none | same charset as `name` |
///
/// Every parameter is a shared reference `&T` to a resource provided with
/// [`Health::provide`]; the return type is one of those of [`IntoCheckOutcome`].
pub use health_macros::health_check;

/// Builds the `axum::Router<S>` of the health endpoints.
///
/// ```
/// # use health_runtime::{health_check, health_routes, Health};
/// #[health_check]
/// async fn always() {}
///
/// let health = Health::new();
/// let app: axum::Router = axum::Router::new()
///     .merge(health_routes!(health, readiness = "/readyz", checks = [always]));
/// # let _ = app;
/// ```
///
/// Options, all optional and checked at compile time: `liveness`, `readiness`, `startup`
/// (paths starting with `/`, distinct), `checks = [fn, ...]` (serve only these), and
/// `tags = ["..."]` (serve only checks with one of these tags). Without a handle,
/// `health_routes!()` uses [`Health::global`].
pub use health_macros::health_routes;
