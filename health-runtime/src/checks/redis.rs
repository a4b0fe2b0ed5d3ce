//! Redis `PING` (feature `redis`: the `redis` crate with `tokio-comp` and
//! `connection-manager`, no TLS stack chosen for the application).
//!
//! Which connection to check:
//!
//! - a [`ConnectionManager`] reconnects by itself, so its check recovers after a restart
//!   ([`check`]);
//! - a [`MultiplexedConnection`] is one connection that never reconnects: after the server
//!   restarted it keeps failing, which is the truth about that connection
//!   ([`check_multiplexed`]);
//! - a [`Client`] gets a fresh multiplexed connection on every run ([`check_client`]),
//!   for applications that open connections per use.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use redis::aio::ConnectionManager;
//!
//! // One line in a `#[health_check]`, over the manager provided with `health.provide`:
//! #[health_check(name = "redis", timeout_ms = 1000)]
//! async fn cache(conn: &ConnectionManager) -> CheckOutcome {
//!     checks::redis::ping(&mut conn.clone()).await
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::redis::check("redis").timeout(Duration::from_secs(1)))
//!     .build()?;
//! let client = redis::Client::open("redis://127.0.0.1:6379")?;
//! health.provide(ConnectionManager::new(client).await?);
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use redis::Client;
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};

use super::failure::failed;
use crate::{Check, CheckOutcome};

/// Sends `PING` on `connection`; healthy when the answer is `PONG`.
pub async fn ping<C: ConnectionLike + Send>(connection: &mut C) -> CheckOutcome {
    match redis::cmd("PING").query_async::<String>(connection).await {
        Ok(reply) if reply == "PONG" => CheckOutcome::healthy(),
        Ok(reply) => {
            let reply: String = reply.chars().take(64).collect();
            CheckOutcome::unhealthy(format!("redis: PING answered {reply:?} instead of PONG"))
        }
        Err(error) => failed("redis", &error),
    }
}

/// Opens a multiplexed connection with `client`, sends `PING` and drops the connection.
pub async fn connect_ping(client: &Client) -> CheckOutcome {
    match client.get_multiplexed_async_connection().await {
        Ok(mut connection) => ping(&mut connection).await,
        Err(error) => failed("redis", &error),
    }
}

/// A readiness [`Check`] named `name` over the [`ConnectionManager`] provided with
/// [`Health::provide`](crate::Health::provide).
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |conn: Arc<ConnectionManager>| async move {
        ping(&mut ConnectionManager::clone(&conn)).await
    })
}

/// A readiness [`Check`] named `name` over the [`MultiplexedConnection`] provided with
/// [`Health::provide`](crate::Health::provide).
#[track_caller]
pub fn check_multiplexed(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |conn: Arc<MultiplexedConnection>| async move {
        ping(&mut MultiplexedConnection::clone(&conn)).await
    })
}

/// A readiness [`Check`] named `name` over the [`Client`] provided with
/// [`Health::provide`](crate::Health::provide): a fresh connection on every run.
#[track_caller]
pub fn check_client(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |client: Arc<Client>| async move {
        connect_ping(&client).await
    })
}

/// A readiness [`Check`] named `name` over `connection`, a [`ConnectionManager`] or a
/// [`MultiplexedConnection`] (cheap clones sharing the application's connection).
#[track_caller]
pub fn check_with<C>(name: impl Into<Cow<'static, str>>, connection: C) -> Check
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    Check::new(name, move || {
        let mut connection = connection.clone();
        async move { ping(&mut connection).await }
    })
}
