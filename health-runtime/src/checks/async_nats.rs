//! NATS with [`async_nats`] (feature `async-nats`, with its default features off but for
//! the `ring` crypto provider its TLS needs).
//!
//! A run reads the client's connection state (a client reconnects in the background, and
//! says so while it is not connected), then sends a message to an inbox of its own and
//! waits for the server to deliver it back: the round trip that proves the connection
//! carries traffic. (A flush alone only writes the client's buffer to the socket.)
//!
//! A client does not show the token or password it connected with: register them with
//! [`HealthBuilder::secret`](crate::HealthBuilder::secret) or
//! [`secret_from_env`](crate::HealthBuilder::secret_from_env).
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//!
//! // One line in a `#[health_check]`, over the client provided with `health.provide`:
//! #[health_check(name = "nats", timeout_ms = 1000)]
//! async fn nats(client: &async_nats::Client) -> CheckOutcome {
//!     checks::async_nats::round_trip(client).await
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::async_nats::check("nats").timeout(Duration::from_secs(1)))
//!     .build()?;
//! health.provide(async_nats::connect("nats://127.0.0.1:4222").await?);
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use async_nats::Client;
use async_nats::connection::State;
use futures_util::StreamExt as _;

use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// Healthy when `client` is connected and the server delivers a message published to a
/// fresh inbox back to the subscription on it.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "nats")]
/// async fn nats(client: &async_nats::Client) -> CheckOutcome {
///     health_runtime::checks::async_nats::round_trip(client).await
/// }
/// ```
pub async fn round_trip(client: &Client) -> CheckOutcome {
    match client.connection_state() {
        State::Connected => {}
        state => return CheckOutcome::unhealthy(format!("nats: {state}")),
    }
    let inbox = client.new_inbox();
    let mut subscription = match client.subscribe(inbox.clone()).await {
        Ok(subscription) => subscription,
        Err(error) => return failed("nats: subscribe", &error),
    };
    if let Err(error) = client.publish(inbox, Default::default()).await {
        return failed("nats: publish", &error);
    }
    if let Err(error) = client.flush().await {
        return failed("nats: flush", &error);
    }
    match subscription.next().await {
        Some(_) => {
            let info = client.server_info();
            CheckOutcome::healthy()
                .with_detail("server", info.server_name)
                .with_detail("version", info.version)
        }
        None => {
            CheckOutcome::unhealthy("nats: the subscription ended before the message came back")
        }
    }
}

/// A readiness [`Check`] named `name` over the [`Client`] provided with
/// [`Health::provide`](crate::Health::provide).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::async_nats;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let health = Health::builder().check(async_nats::check("nats")).build()?;
/// health.provide(::async_nats::connect("127.0.0.1:4222").await?);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |client: Arc<Client>| async move {
        round_trip(&client).await
    })
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// [`Client`]: a newtype telling two of them apart.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::async_nats;
///
/// struct Events(::async_nats::Client);
/// impl AsRef<::async_nats::Client> for Events {
///     fn as_ref(&self) -> &::async_nats::Client { &self.0 }
/// }
///
/// let health = Health::builder().check(async_nats::check_as::<Events>("events")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<Client> + Send + Sync + 'static,
{
    Check::with_resource(name, |resource: Arc<R>| async move {
        round_trip((*resource).as_ref()).await
    })
}

/// A readiness [`Check`] named `name` over `client` (a cheap clone of the application's).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::checks::async_nats;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ::async_nats::connect("127.0.0.1:4222").await?;
/// let health = Health::builder().check(async_nats::check_with("nats", client.clone())).build()?;
/// # let _ = health; Ok(()) }
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, client: Client) -> Check {
    Check::new(name, move || {
        let client = client.clone();
        async move { round_trip(&client).await }
    })
}
