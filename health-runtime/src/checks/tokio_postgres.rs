//! PostgreSQL `SELECT 1` on [`tokio_postgres`] (feature `tokio-postgres`).
//!
//! A `tokio_postgres::Client` is one connection and never reconnects: once the server
//! restarted, [`select_one`] on it keeps reporting `connection closed`, which is the truth
//! about that client. For a check that recovers by itself, check a pool
//! ([`deadpool_postgres`](super::deadpool_postgres), [`sqlx`](super::sqlx)) or use
//! [`check_connect`], which opens a fresh connection on every run.
//!
//! ```no_run,standalone_crate
//! use std::sync::Arc;
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use tokio_postgres::{Client, NoTls};
//!
//! // One line in a `#[health_check]`, over the `Client` provided with `health.provide`:
//! #[health_check(name = "postgres", timeout_ms = 2000)]
//! async fn postgres(client: &Client) -> CheckOutcome {
//!     checks::tokio_postgres::select_one(client).await
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let config: tokio_postgres::Config = "host=127.0.0.1 user=app dbname=app".parse()?;
//! let health = Health::builder()
//!     .check(checks::tokio_postgres::check("postgres").timeout(Duration::from_secs(2)))
//!     .check(checks::tokio_postgres::check_connect("postgres-fresh", config, NoTls))
//!     .build()?;
//! let (client, connection) =
//!     tokio_postgres::connect("host=127.0.0.1 user=app dbname=app", NoTls).await?;
//! tokio::spawn(connection);
//! health.provide(client);
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, Socket};

use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// Runs `SELECT 1` on `client`.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "database", timeout_ms = 2000)]
/// async fn database(client: &tokio_postgres::Client) -> CheckOutcome {
///     health_runtime::checks::tokio_postgres::select_one(client).await
/// }
/// ```
pub async fn select_one(client: &Client) -> CheckOutcome {
    match client.simple_query("SELECT 1").await {
        Ok(_) => CheckOutcome::healthy(),
        Err(error) => failed("postgres", &error),
    }
}

/// Connects with `config` and `tls`, runs `SELECT 1` and closes the connection.
///
/// Nothing outlives the call: the connection is driven inside this future, so a run cut
/// short by its timeout leaves no task behind.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "database", timeout_ms = 2000)]
/// async fn database() -> CheckOutcome {
///     let config: tokio_postgres::Config = "host=127.0.0.1 user=postgres dbname=test".parse().unwrap();
///     health_runtime::checks::tokio_postgres::connect_select_one(&config, tokio_postgres::NoTls).await
/// }
/// ```
pub async fn connect_select_one<T>(config: &Config, tls: T) -> CheckOutcome
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = match config.connect(tls).await {
        Ok(connected) => connected,
        Err(error) => return failed("postgres", &error),
    };
    tokio::pin!(connection);
    let query = client.simple_query("SELECT 1");
    tokio::select! {
        result = query => match result {
            Ok(_) => CheckOutcome::healthy(),
            Err(error) => failed("postgres", &error),
        },
        ended = &mut connection => match ended {
            Ok(()) => CheckOutcome::unhealthy("postgres: connection closed"),
            Err(error) => failed("postgres", &error),
        },
    }
}

/// A readiness [`Check`] named `name` over the `tokio_postgres::Client` provided with
/// [`Health::provide`](crate::Health::provide).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::tokio_postgres;
///
/// let health = Health::builder().check(tokio_postgres::check("database")).build()?;
/// // Later, once connected (and the connection's task spawned): health.provide(client);
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |client: Arc<Client>| async move {
        select_one(&client).await
    })
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// `tokio_postgres::Client`: a newtype telling two clients apart (`struct Replica(Client)`
/// with `impl AsRef<Client> for Replica`).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::tokio_postgres;
///
/// struct Replica(::tokio_postgres::Client);
/// impl AsRef<::tokio_postgres::Client> for Replica {
///     fn as_ref(&self) -> &::tokio_postgres::Client { &self.0 }
/// }
///
/// let health = Health::builder().check(tokio_postgres::check_as::<Replica>("replica")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<Client> + Send + Sync + 'static,
{
    Check::with_resource(name, |client: Arc<R>| async move {
        select_one((*client).as_ref()).await
    })
}

/// A readiness [`Check`] named `name` over `client`.
///
/// ```
/// use std::sync::Arc;
/// use health_runtime::Health;
/// use health_runtime::checks::tokio_postgres;
///
/// fn health_for(client: Arc<::tokio_postgres::Client>) -> Result<Health, health_runtime::ConfigError> {
///     Health::builder().check(tokio_postgres::check_with("database", client)).build()
/// }
/// # let _ = health_for;
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, client: Arc<Client>) -> Check {
    Check::new(name, move || {
        let client = Arc::clone(&client);
        async move { select_one(&client).await }
    })
}

/// A readiness [`Check`] named `name` that opens a fresh connection with `config` on
/// every run ([`connect_select_one`]), so it recovers as soon as the server does.
/// The config's password is registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::tokio_postgres;
///
/// let config: ::tokio_postgres::Config = "host=127.0.0.1 user=postgres dbname=test".parse().unwrap();
/// let health = Health::builder()
///     .check(tokio_postgres::check_connect("database", config, ::tokio_postgres::NoTls))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_connect<T>(name: impl Into<Cow<'static, str>>, config: Config, tls: T) -> Check
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let password = config
        .get_password()
        .map(|password| String::from_utf8_lossy(password).into_owned())
        .unwrap_or_default();
    let config = Arc::new(config);
    Check::new(name, move || {
        let config = Arc::clone(&config);
        let tls = tls.clone();
        async move { connect_select_one(&config, tls).await }
    })
    .secret(password)
}
