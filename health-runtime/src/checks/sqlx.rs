//! PostgreSQL `SELECT 1` on a [`sqlx::PgPool`] (feature `sqlx`: sqlx with `postgres` and
//! `runtime-tokio` only, no macros, no TLS stack chosen for the application).
//!
//! Acquiring a connection is part of the run and counts toward the check's timeout. A
//! pool whose `acquire_timeout` is longer than the check's timeout reports
//! `Timeout after ...ms` while the server is unreachable; the pool replaces the
//! connections the server closed, so the check recovers by itself after a restart.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use sqlx::PgPool;
//!
//! // One line in a `#[health_check]`, over the `PgPool` provided with `health.provide`:
//! #[health_check(name = "postgres", timeout_ms = 2000)]
//! async fn postgres(pool: &PgPool) -> CheckOutcome {
//!     checks::sqlx::select_one(pool).await
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::sqlx::check("postgres").timeout(Duration::from_secs(2)))
//!     .build()?;
//! health.provide(PgPool::connect_lazy("postgres://app@127.0.0.1/app")?);
//! # Ok(()) }
//! ```

use std::borrow::Cow;

use sqlx::PgPool;

use super::sqlx_pool;
use crate::check::{Check, CheckOutcome};

/// Runs `SELECT 1` on a connection of `pool`. The pool's size and idle connections are
/// reported as details.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "database", timeout_ms = 2000)]
/// async fn database(pool: &sqlx::PgPool) -> CheckOutcome {
///     health_runtime::checks::sqlx::select_one(pool).await
/// }
/// ```
pub async fn select_one(pool: &PgPool) -> CheckOutcome {
    sqlx_pool::select_one(pool).await
}

/// A readiness [`Check`] named `name` over the `PgPool` provided with
/// [`Health::provide`](crate::Health::provide).
/// The pool's password is registered for redaction.
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::sqlx;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let health = Health::builder().check(sqlx::check("database")).build()?;
/// health.provide(::sqlx::PgPool::connect("postgres://postgres@127.0.0.1/test").await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    sqlx_pool::check_as(name, |pool: &PgPool| pool)
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// `PgPool`: a newtype telling two pools apart (a primary and a replica).
/// The pool's password is registered for redaction.
///
/// ```
/// use health_runtime::{Health, checks};
///
/// struct Replica(sqlx::PgPool);
///
/// impl AsRef<sqlx::PgPool> for Replica {
///     fn as_ref(&self) -> &sqlx::PgPool {
///         &self.0
///     }
/// }
///
/// let health = Health::builder()
///     .check(checks::sqlx::check("primary"))
///     .check(checks::sqlx::check_as::<Replica>("replica"))
///     .build()
///     .unwrap();
/// # let _ = health;
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<PgPool> + Send + Sync + 'static,
{
    sqlx_pool::check_as(name, R::as_ref)
}

/// A readiness [`Check`] named `name` over `pool` (a cheap clone of the application's).
/// The pool's password is registered for redaction.
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::sqlx;
///
/// let pool = ::sqlx::PgPool::connect_lazy("postgres://postgres@127.0.0.1/test").expect("a valid URL");
/// let health = Health::builder().check(sqlx::check_with("database", pool.clone())).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, pool: PgPool) -> Check {
    sqlx_pool::check_with(name, pool)
}
