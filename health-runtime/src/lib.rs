//! Kubernetes liveness, readiness and startup probes for axum services, declared with a
//! small compile-time checked DSL.
//!
//! A check is a plain `async fn` whose parameters are shared references to resources the
//! application provides at run time. `#[health_check]` registers it; `health_routes!`
//! serves `/health` (liveness), `/health/started` (startup) and `/health/ready`
//! (readiness), running each probe's checks concurrently, each bounded by its timeout.
//!
//! ```no_run,standalone_crate
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
//!     health_runtime::serve(listener, app, &health).await.unwrap();
//! }
//! ```
//!
//! [`serve()`] serves the router with a header-read timeout, an idle timeout, a connection cap
//! and a shutdown that always ends ([`serve::Serve`]).
//!
//! Everything the macros do is also reachable through [`Health::builder`], [`Check`] and
//! [`RouteOptions`].
//!
//! The crate root holds the names a service writes; the rest lives in modules:
//! [`report`] (what a probe answered), [`check`] (resources and the lower-level check
//! API), [`run`] (running checks outside a probe), [`probe`], [`http`], [`redact`],
//! [`checks`] (built-in checks, behind features named after their client crates) and,
//! with the `deploy` feature, `deploy` (probe manifests and their lint) and, with the `grpc`
//! feature, `grpc` (the `grpc.health.v1` service for tonic, [`Health::grpc`]).

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod check;
pub mod checks;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
mod error;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
mod health;
pub mod history;
pub mod http;
pub mod probe;
pub mod publish;
pub mod redact;
pub mod run;
pub mod serve;
#[cfg(any(
    feature = "fe2o3-amqp",
    feature = "rustls",
    feature = "azure-identity",
    feature = "webhook"
))]
mod tls;
#[cfg(feature = "ui")]
#[cfg_attr(docsrs, doc(cfg(feature = "ui")))]
pub mod ui;

#[doc(hidden)]
pub mod __private;

pub use check::{Check, CheckOutcome, CheckStatus, IntoCheckOutcome};
pub use error::ConfigError;
pub use health::{Health, HealthBuilder};
pub use http::{DetailsPolicy, RouteOptions};
pub use probe::Probe;
pub use serve::serve;

/// Reports: what a probe answered and the result of each check in it.
pub mod report {
    pub use crate::probe::report::{Report, ReportStatus, Verdict};
    pub use crate::run::change::{StatusChange, Subject};
    pub use crate::run::result::CheckResult;
}

/// The configuration rules `#[health_check]` and `health_routes!` check at compile time and
/// [`HealthBuilder::build`] and [`Health::router_with`] check at run time: one definition,
/// so the two never disagree.
///
/// ```
/// use health_runtime::rules::{MAX_TIMEOUT_MS, validate_name};
///
/// assert!(validate_name("redis-cache.v2").is_ok());
/// assert!(validate_name("_private").is_err());
/// assert_eq!(MAX_TIMEOUT_MS, 240_000);
/// ```
#[doc(inline)]
pub use health_rules as rules;

/// Registers an `async fn` as a health check.
///
/// ```standalone_crate
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
/// | `timeout_ms` | integer | 1000 | 1 ..= 240000 milliseconds |
/// | `probe` | string or list | `"readiness"` | `"liveness"`, `"readiness"`, `"startup"`, no repeats, not empty |
/// | `critical` | bool | `true` | a failing non-critical check makes the report `degraded` (200) |
/// | `tags` | list of strings | none | same charset as `name`, no repeats, not empty |
///
/// The rules are those of [`rules`], which [`HealthBuilder::build`] applies to checks built
/// without the macro. A mistake is a compile error on the value at fault.
///
/// The function stays as written; the attribute adds a registration beside it and defines
/// nothing under a name you wrote, so a check may be named like its client crate
/// (`async fn redis` calling `redis::cmd`), a module or an import, and may be declared in a
/// function body or behind `#[cfg]`. It must be a free `async fn`: every parameter a shared
/// reference `&T` to a resource provided with [`Health::provide`], the return type one of
/// those of [`IntoCheckOutcome`], the future `Send`.
pub use health_macros::health_check;

/// Builds the `axum::Router<S>` of the health endpoints.
///
/// ```standalone_crate
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
/// Options, all optional and checked at compile time:
///
/// - `liveness`, `readiness`, `startup`: the paths (literal, starting with `/`, distinct, and
///   none under the readiness or startup path, whose `{path}/{name}` routes run one check);
/// - `checks = [f, ...]`: serve only these `#[health_check]` functions, named by name, by path
///   (`db::postgres`, `crate::`, `self::`, `super::`) or through a `use` or re-export. A
///   value that is not a function is a compile error; a function without `#[health_check]`
///   is reported when the router is built, as [`ConfigError::NotACheck`] in the panic;
/// - `tags = ["...", ...]`: serve only the checks carrying one of these tags.
///
/// `checks = []` and `tags = []` are errors: leave the option out to serve every check.
///
/// The handle comes first; without one, `health_routes!()` and `health_routes!(options...)`
/// serve [`Health::global`], the process-wide handle, which is then where resources are
/// provided:
///
/// ```standalone_crate
/// use health_runtime::{Health, health_check, health_routes};
///
/// struct Model;
///
/// #[health_check]
/// async fn model(_model: &Model) {}
///
/// let app: axum::Router = health_routes!();
/// Health::global().provide(Model);
/// # let _ = app;
/// ```
///
/// # Panics
///
/// When the router is built, on a configuration error the compiler could not see: a listed
/// function without `#[health_check]`, two checks of one name in different modules, an
/// invalid check built without the macro. Built without the macro, with
/// [`Health::try_router_with`], a router returns its configuration error instead.
pub use health_macros::health_routes;
