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
//! The [`Client`] check registers the client's password for redaction; a connection does
//! not show its password, so with the other two register it with
//! [`HealthBuilder::secret`](crate::HealthBuilder::secret).
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

use super::credentials::with_resource_secrets;
use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// Sends `PING` on `connection`; healthy when the answer is `PONG`.
///
/// The client's own response timeout (500 ms by default) is shorter than most checks'
/// timeouts; a PING it gave up on is sent again, so that the check's own timeout ends a
/// run on a server that does not answer and the report says `Timeout after {N}ms` at the
/// time the application chose. Run it under a timeout, as every check is.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
/// use redis::aio::ConnectionManager;
///
/// #[health_check(name = "redis", timeout_ms = 1000)]
/// async fn redis(conn: &ConnectionManager) -> CheckOutcome {
///     health_runtime::checks::redis::ping(&mut conn.clone()).await
/// }
/// ```
pub async fn ping<C: ConnectionLike + Send>(connection: &mut C) -> CheckOutcome {
    loop {
        match redis::cmd("PING").query_async::<String>(connection).await {
            Ok(reply) if reply == "PONG" => return CheckOutcome::healthy(),
            Ok(reply) => {
                let reply: String = reply.chars().take(64).collect();
                return CheckOutcome::unhealthy(format!(
                    "redis: PING answered {reply:?} instead of PONG"
                ));
            }
            Err(error) if error.is_timeout() => continue,
            Err(error) => return failed("redis", &error),
        }
    }
}

/// Opens a multiplexed connection with `client`, sends `PING` and drops the connection.
/// A connection attempt the client timed out is made again, as in [`ping`].
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "redis", timeout_ms = 1000)]
/// async fn redis(client: &redis::Client) -> CheckOutcome {
///     health_runtime::checks::redis::connect_ping(client).await
/// }
/// ```
pub async fn connect_ping(client: &Client) -> CheckOutcome {
    loop {
        match client.get_multiplexed_async_connection().await {
            Ok(mut connection) => return ping(&mut connection).await,
            Err(error) if error.is_timeout() => continue,
            Err(error) => return failed("redis", &error),
        }
    }
}

/// A readiness [`Check`] named `name` over the [`ConnectionManager`] provided with
/// [`Health::provide`](crate::Health::provide).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::redis;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let health = Health::builder().check(redis::check("redis")).build()?;
/// let client = ::redis::Client::open("redis://127.0.0.1:6379")?;
/// health.provide(::redis::aio::ConnectionManager::new(client).await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |conn: Arc<ConnectionManager>| async move {
        ping(&mut ConnectionManager::clone(&conn)).await
    })
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// [`ConnectionManager`]: a newtype telling two connections apart (`struct Sessions(ConnectionManager)`
/// with `impl AsRef<ConnectionManager> for Sessions`).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::redis;
/// use ::redis::aio::ConnectionManager;
///
/// struct Sessions(ConnectionManager);
/// impl AsRef<ConnectionManager> for Sessions {
///     fn as_ref(&self) -> &ConnectionManager { &self.0 }
/// }
///
/// let health = Health::builder()
///     .check(redis::check("cache"))
///     .check(redis::check_as::<Sessions>("sessions"))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<ConnectionManager> + Send + Sync + 'static,
{
    Check::with_resource(name, |conn: Arc<R>| async move {
        ping(&mut ConnectionManager::clone((*conn).as_ref())).await
    })
}

/// A readiness [`Check`] named `name` over the [`MultiplexedConnection`] provided with
/// [`Health::provide`](crate::Health::provide).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::redis;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let health = Health::builder().check(redis::check_multiplexed("redis")).build()?;
/// let client = ::redis::Client::open("redis://127.0.0.1:6379")?;
/// health.provide(client.get_multiplexed_async_connection().await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn check_multiplexed(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |conn: Arc<MultiplexedConnection>| async move {
        ping(&mut MultiplexedConnection::clone(&conn)).await
    })
}

/// A readiness [`Check`] named `name` over the [`Client`] provided with
/// [`Health::provide`](crate::Health::provide): a fresh connection on every run. The
/// client's password is registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::redis;
///
/// let health = Health::builder().check(redis::check_client("redis")).build()?;
/// health.provide(::redis::Client::open("redis://127.0.0.1:6379").expect("a valid URL"));
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_client(name: impl Into<Cow<'static, str>>) -> Check {
    with_resource_secrets(
        name,
        |client: &Client| {
            let settings = client.get_connection_info().redis_settings();
            settings.password().map(str::to_owned)
        },
        |client: Arc<Client>| async move { connect_ping(&client).await },
    )
}

/// A readiness [`Check`] named `name` over `connection`, a [`ConnectionManager`] or a
/// [`MultiplexedConnection`] (cheap clones sharing the application's connection).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::redis;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ::redis::Client::open("redis://127.0.0.1:6379")?;
/// let connection = ::redis::aio::ConnectionManager::new(client).await?;
/// let health = Health::builder().check(redis::check_with("redis", connection.clone())).build()?;
/// # let _ = health; Ok(()) }
/// ```
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
