//! MySQL / MariaDB `SELECT 1` on a [`sqlx::MySqlPool`] (feature `sqlx-mysql`: sqlx with
//! `mysql` and `runtime-tokio` only, no macros, no TLS stack chosen for the application).
//!
//! Acquiring a connection is part of the run and counts toward the check's timeout; the
//! pool replaces the connections the server closed, so the check recovers by itself
//! after a restart.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use sqlx::MySqlPool;
//!
//! // One line in a `#[health_check]`, over the `MySqlPool` provided with `health.provide`:
//! #[health_check(name = "mysql", timeout_ms = 2000)]
//! async fn mysql(pool: &MySqlPool) -> CheckOutcome {
//!     checks::sqlx_mysql::select_one(pool).await
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::sqlx_mysql::check("mariadb").timeout(Duration::from_secs(2)))
//!     .build()?;
//! health.provide(MySqlPool::connect_lazy("mysql://app:secret@127.0.0.1/app")?);
//! # Ok(()) }
//! ```

use std::borrow::Cow;

use sqlx::MySqlPool;

use super::sqlx_pool;
use crate::check::{Check, CheckOutcome};

/// Runs `SELECT 1` on a connection of `pool`. The pool's size and idle connections are
/// reported as details.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "mysql", timeout_ms = 2000)]
/// async fn mysql(pool: &sqlx::MySqlPool) -> CheckOutcome {
///     health_runtime::checks::sqlx_mysql::select_one(pool).await
/// }
/// ```
pub async fn select_one(pool: &MySqlPool) -> CheckOutcome {
    sqlx_pool::select_one(pool).await
}

/// A readiness [`Check`] named `name` over the `MySqlPool` provided with
/// [`Health::provide`](crate::Health::provide).
/// The pool's password is registered for redaction.
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::sqlx_mysql;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let health = Health::builder().check(sqlx_mysql::check("mysql")).build()?;
/// health.provide(::sqlx::MySqlPool::connect("mysql://root@127.0.0.1/test").await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    sqlx_pool::check_as(name, |pool: &MySqlPool| pool)
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// [`MySqlPool`]: a newtype telling two of them apart.
/// The pool's password is registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::sqlx_mysql;
///
/// struct Reporting(::sqlx::MySqlPool);
/// impl AsRef<::sqlx::MySqlPool> for Reporting {
///     fn as_ref(&self) -> &::sqlx::MySqlPool { &self.0 }
/// }
///
/// let health = Health::builder().check(sqlx_mysql::check_as::<Reporting>("reporting")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<MySqlPool> + Send + Sync + 'static,
{
    sqlx_pool::check_as(name, R::as_ref)
}

/// A readiness [`Check`] named `name` over `pool` (a cheap clone of the application's).
/// The pool's password is registered for redaction.
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::sqlx_mysql;
///
/// let pool = ::sqlx::MySqlPool::connect_lazy("mysql://root@127.0.0.1/test").expect("a valid URL");
/// let health = Health::builder().check(sqlx_mysql::check_with("mysql", pool)).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, pool: MySqlPool) -> Check {
    sqlx_pool::check_with(name, pool)
}
