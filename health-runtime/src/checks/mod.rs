//! Built-in checks of common dependencies, each written with the same public API a user
//! has ([`Check`](crate::Check), [`CheckOutcome`](crate::CheckOutcome)) and each behind
//! the cargo feature named after the client crate it uses.
//!
//! | module | feature | what a run does |
//! |---|---|---|
//! | [`tcp`] | none (only `tokio/net`, which axum already enables) | opens a TCP connection |
//! | `tokio_postgres` | `tokio-postgres` | `SELECT 1` on a `tokio_postgres::Client`, or on a fresh connection |
//! | `deadpool_postgres` | `deadpool-postgres` | takes a connection from a `deadpool_postgres::Pool`, then `SELECT 1` |
//! | `sqlx` | `sqlx` | `SELECT 1` on a `sqlx::PgPool` |
//! | `redis` | `redis` | `PING` on a `ConnectionManager`, a `MultiplexedConnection` or a fresh connection of a `redis::Client` |
//! | `hyper` | `hyper` | `GET` with headers on a plain-HTTP `hyper-util` client, accepted statuses checked |
//! | `reqwest` | `reqwest` | the same `GET` on the application's own `reqwest::Client` |
//!
//! Every module offers the same three shapes:
//!
//! - an `async fn` that runs the check once and returns a
//!   [`CheckOutcome`](crate::CheckOutcome), the one line a `#[health_check]` body needs:
//!   `checks::redis::ping(&mut conn.clone()).await`;
//! - `check(name)`, a [`Check`](crate::Check) over the resource provided with
//!   [`Health::provide`](crate::Health::provide), reporting `"<Type> not initialised"`
//!   until it is provided;
//! - `check_with(name, client)`, a [`Check`](crate::Check) over a client it owns.
//!
//! None of them has a timeout of its own: the runner bounds every run by the check's
//! timeout, and time spent waiting for a pooled connection counts toward it. Their error
//! messages go through the same redaction as every check's: passwords, tokens and API
//! keys never reach a response.

pub mod tcp;

#[cfg(any(feature = "hyper", feature = "reqwest"))]
mod http_target;
#[cfg(any(feature = "hyper", feature = "reqwest"))]
pub use http_target::HttpTarget;

#[cfg(feature = "deadpool-postgres")]
pub mod deadpool_postgres;
#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "sqlx")]
pub mod sqlx;
#[cfg(feature = "tokio-postgres")]
pub mod tokio_postgres;

#[cfg(any(
    feature = "tokio-postgres",
    feature = "deadpool-postgres",
    feature = "sqlx",
    feature = "redis",
    feature = "hyper",
    feature = "reqwest"
))]
mod failure;
