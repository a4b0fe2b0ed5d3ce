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
use std::sync::Arc;

use sqlx::PgPool;

use super::failure::failed;
use crate::{Check, CheckOutcome};

/// Runs `SELECT 1` on a connection of `pool`. The pool's size and idle connections are
/// reported as details.
pub async fn select_one(pool: &PgPool) -> CheckOutcome {
    let outcome = match sqlx::raw_sql("SELECT 1").execute(pool).await {
        Ok(_) => CheckOutcome::healthy(),
        Err(error) => failed("postgres", &error),
    };
    outcome
        .with_detail("pool_size", pool.size())
        .with_detail("pool_idle", pool.num_idle())
}

/// A readiness [`Check`] named `name` over the `PgPool` provided with
/// [`Health::provide`](crate::Health::provide).
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(
        name,
        |pool: Arc<PgPool>| async move { select_one(&pool).await },
    )
}

/// A readiness [`Check`] named `name` over `pool` (a cheap clone of the application's).
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, pool: PgPool) -> Check {
    Check::new(name, move || {
        let pool = pool.clone();
        async move { select_one(&pool).await }
    })
}
