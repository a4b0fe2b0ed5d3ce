//! PostgreSQL `SELECT 1` on a [`deadpool_postgres::Pool`] (feature `deadpool-postgres`).
//!
//! Waiting for a connection from the pool is part of the run, so it counts toward the
//! check's timeout: an exhausted pool or a server that does not accept connections shows
//! as `Timeout after ...ms` or as the pool's error, never as a hang. Connections the
//! server closed are recycled by the pool, so the check recovers by itself after a
//! restart.
//!
//! A pool does not show the password it was configured with, so it cannot register it
//! for redaction itself: register it with
//! [`HealthBuilder::secret`](crate::HealthBuilder::secret) or
//! [`secret_from_env`](crate::HealthBuilder::secret_from_env).
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use deadpool_postgres::{Manager, Pool};
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use deadpool_postgres::tokio_postgres::{self, NoTls};
//!
//! // One line in a `#[health_check]`, over the `Pool` provided with `health.provide`:
//! #[health_check(name = "postgres", timeout_ms = 2000)]
//! async fn postgres(pool: &Pool) -> CheckOutcome {
//!     checks::deadpool_postgres::select_one(pool).await
//! }
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::deadpool_postgres::check("postgres").timeout(Duration::from_secs(2)))
//!     .build()?;
//! let config: tokio_postgres::Config = "host=127.0.0.1 user=app dbname=app".parse()?;
//! let pool = Pool::builder(Manager::new(config, NoTls)).max_size(4).build()?;
//! health.provide(pool);
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use deadpool_postgres::Pool;

use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// Takes a connection from `pool` and runs `SELECT 1` on it. The pool's size and idle
/// connections are reported as details.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "database", timeout_ms = 2000)]
/// async fn database(pool: &deadpool_postgres::Pool) -> CheckOutcome {
///     health_runtime::checks::deadpool_postgres::select_one(pool).await
/// }
/// ```
pub async fn select_one(pool: &Pool) -> CheckOutcome {
    let outcome = match pool.get().await {
        Ok(client) => match client.simple_query("SELECT 1").await {
            Ok(_) => CheckOutcome::healthy(),
            Err(error) => failed("postgres", &error),
        },
        Err(error) => failed("postgres pool", &error),
    };
    let status = pool.status();
    outcome
        .with_detail("pool_size", status.size)
        .with_detail("pool_available", status.available)
}

/// A readiness [`Check`] named `name` over the `deadpool_postgres::Pool` provided with
/// [`Health::provide`](crate::Health::provide).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::deadpool_postgres;
///
/// let health = Health::builder().check(deadpool_postgres::check("database")).build()?;
/// // Later, once the pool exists: health.provide(pool);
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(
        name,
        |pool: Arc<Pool>| async move { select_one(&pool).await },
    )
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// `deadpool_postgres::Pool`: a newtype telling two pools apart (`struct Replica(Pool)`
/// with `impl AsRef<Pool> for Replica`).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::deadpool_postgres;
///
/// struct Replica(::deadpool_postgres::Pool);
/// impl AsRef<::deadpool_postgres::Pool> for Replica {
///     fn as_ref(&self) -> &::deadpool_postgres::Pool { &self.0 }
/// }
///
/// let health = Health::builder()
///     .check(deadpool_postgres::check("primary"))
///     .check(deadpool_postgres::check_as::<Replica>("replica"))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<Pool> + Send + Sync + 'static,
{
    Check::with_resource(name, |pool: Arc<R>| async move {
        select_one((*pool).as_ref()).await
    })
}

/// A readiness [`Check`] named `name` over `pool` (a cheap clone of the application's).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::deadpool_postgres;
///
/// fn health_for(pool: &::deadpool_postgres::Pool) -> Result<Health, health_runtime::ConfigError> {
///     Health::builder().check(deadpool_postgres::check_with("database", pool.clone())).build()
/// }
/// # let _ = health_for;
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, pool: Pool) -> Check {
    Check::new(name, move || {
        let pool = pool.clone();
        async move { select_one(&pool).await }
    })
}
