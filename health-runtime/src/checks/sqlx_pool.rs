//! `SELECT 1` on an sqlx pool of any database: the body of the `sqlx` (PostgreSQL) and
//! `sqlx_mysql` (MySQL, MariaDB) checks, which differ only in their pool type.

use std::borrow::Cow;
use std::sync::Arc;

use sqlx::{Database, Executor, Pool};

use super::credentials::{debug_password, with_resource_secrets};
use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// A database whose pool runs queries; `LABEL` names it in errors.
pub(super) trait Queried: Database
where
    for<'c> &'c mut Self::Connection: Executor<'c, Database = Self>,
{
    const LABEL: &'static str;
}

#[cfg(feature = "sqlx")]
impl Queried for sqlx::Postgres {
    const LABEL: &'static str = "postgres";
}

#[cfg(feature = "sqlx-mysql")]
impl Queried for sqlx::MySql {
    const LABEL: &'static str = "mysql";
}

/// `SELECT 1` on a connection of `pool`, with the pool's size and idle connections as
/// details.
pub(super) async fn select_one<DB>(pool: &Pool<DB>) -> CheckOutcome
where
    DB: Queried,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let outcome = match sqlx::raw_sql("SELECT 1").execute(pool).await {
        Ok(_) => CheckOutcome::healthy(),
        Err(error) => failed(DB::LABEL, &error),
    };
    outcome
        .with_detail("pool_size", pool.size())
        .with_detail("pool_idle", pool.num_idle())
}

/// The check over the provided resource `R` holding the pool `pool_of` finds in it, its
/// password registered.
#[track_caller]
pub(super) fn check_as<DB, R>(
    name: impl Into<Cow<'static, str>>,
    pool_of: fn(&R) -> &Pool<DB>,
) -> Check
where
    DB: Queried,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    R: Send + Sync + 'static,
{
    with_resource_secrets(
        name,
        move |resource: &R| debug_password(&pool_of(resource).connect_options()),
        move |resource: Arc<R>| async move { select_one(pool_of(&resource)).await },
    )
}

/// The check over `pool` itself, its password registered.
#[track_caller]
pub(super) fn check_with<DB>(name: impl Into<Cow<'static, str>>, pool: Pool<DB>) -> Check
where
    DB: Queried,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let password = debug_password(&pool.connect_options()).unwrap_or_default();
    Check::new(name, move || {
        let pool = pool.clone();
        async move { select_one(&pool).await }
    })
    .secret(password)
}
