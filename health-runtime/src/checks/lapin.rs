//! RabbitMQ over AMQP 0-9-1 with [`lapin`] (feature `lapin`, with lapin's default
//! features off: the application enables the TLS backend it wants on its own `lapin`).
//!
//! A run opens a channel on the connection (the broker answers `channel.open`), declares
//! the application's queue passively when one is named (a missing queue is unhealthy and
//! named in the error), and closes the channel.
//!
//! Which connection to check:
//!
//! - a provided [`Connection`] ([`check`], [`check_queue`]) is the application's own: once
//!   the broker has closed it, the check keeps saying so until the application connects
//!   again and provides the new one;
//! - a URI ([`check_connect`]) gets a fresh connection on every run, and recovers by
//!   itself.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//!
//! // One line in a `#[health_check]`, over the connection provided with `health.provide`:
//! #[health_check(name = "rabbitmq", timeout_ms = 2000)]
//! async fn rabbitmq(connection: &lapin::Connection) -> CheckOutcome {
//!     checks::lapin::open_channel(connection, Some("jobs")).await
//! }
//!
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::lapin::check_connect("broker", "amqp://app:secret@127.0.0.1:5672/%2f", None))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};

use super::failure::failed;
use crate::check::{Check, CheckOutcome};

/// Opens a channel on `connection`, declares `queue` passively when given, and closes the
/// channel.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "rabbitmq")]
/// async fn rabbitmq(connection: &lapin::Connection) -> CheckOutcome {
///     health_runtime::checks::lapin::open_channel(connection, Some("orders")).await
/// }
/// ```
pub async fn open_channel(connection: &Connection, queue: Option<&str>) -> CheckOutcome {
    let channel = match connection.create_channel().await {
        Ok(channel) => channel,
        Err(error) => return failed("rabbitmq", &error),
    };
    let outcome = match queue {
        None => CheckOutcome::healthy(),
        Some(queue) => {
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            match channel
                .queue_declare(queue.into(), options, FieldTable::default())
                .await
            {
                Ok(declared) => CheckOutcome::healthy()
                    .with_detail("queue", queue)
                    .with_detail("messages", declared.message_count())
                    .with_detail("consumers", declared.consumer_count()),
                Err(error) => {
                    // A failed passive declare closes the channel by itself.
                    return failed(&format!("rabbitmq: queue `{queue}`"), &error);
                }
            }
        }
    };
    let _ = channel.close(200, "health check done".into()).await;
    outcome
}

/// Connects to `uri` (`amqp://user:password@host:port/vhost`), runs [`open_channel`] and
/// closes the connection.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "rabbitmq")]
/// async fn rabbitmq() -> CheckOutcome {
///     health_runtime::checks::lapin::connect("amqp://guest:guest@127.0.0.1:5672/%2f", None).await
/// }
/// ```
pub async fn connect(uri: &str, queue: Option<&str>) -> CheckOutcome {
    match Connection::connect(uri, ConnectionProperties::default()).await {
        Ok(connection) => {
            let outcome = open_channel(&connection, queue).await;
            let _ = connection.close(200, "health check done".into()).await;
            outcome
        }
        Err(error) => failed("rabbitmq", &error),
    }
}

/// A readiness [`Check`] named `name` over the [`Connection`] provided with
/// [`Health::provide`](crate::Health::provide): a channel opened and closed.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::lapin;
///
/// let health = Health::builder().check(lapin::check("rabbitmq")).build()?;
/// // Later, once connected: health.provide(connection);
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::with_resource(name, |connection: Arc<Connection>| async move {
        open_channel(&connection, None).await
    })
}

/// [`check`], also declaring `queue` passively: unhealthy when the queue is missing.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::lapin;
///
/// let health = Health::builder().check(lapin::check_queue("orders", "orders")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_queue(name: impl Into<Cow<'static, str>>, queue: impl Into<String>) -> Check {
    let queue: Arc<str> = queue.into().into();
    Check::with_resource(name, move |connection: Arc<Connection>| {
        let queue = Arc::clone(&queue);
        async move { open_channel(&connection, Some(&queue)).await }
    })
}

/// A readiness [`Check`] named `name` over `connection`, shared with the application.
///
/// ```
/// use std::sync::Arc;
/// use health_runtime::Health;
/// use health_runtime::checks::lapin;
///
/// fn health_for(connection: Arc<::lapin::Connection>) -> Result<Health, health_runtime::ConfigError> {
///     Health::builder().check(lapin::check_with("rabbitmq", connection, None)).build()
/// }
/// # let _ = health_for;
/// ```
#[track_caller]
pub fn check_with(
    name: impl Into<Cow<'static, str>>,
    connection: Arc<Connection>,
    queue: Option<String>,
) -> Check {
    let queue: Option<Arc<str>> = queue.map(Into::into);
    Check::new(name, move || {
        let connection = Arc::clone(&connection);
        let queue = queue.clone();
        async move { open_channel(&connection, queue.as_deref()).await }
    })
}

/// A readiness [`Check`] named `name` that connects to `uri` on every run. The URI's
/// password is registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::lapin;
///
/// let health = Health::builder()
///     .check(lapin::check_connect("rabbitmq", "amqp://guest:guest@127.0.0.1:5672/%2f", None))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_connect(
    name: impl Into<Cow<'static, str>>,
    uri: impl Into<String>,
    queue: Option<String>,
) -> Check {
    let uri: String = uri.into();
    let password = uri
        .parse::<AMQPUri>()
        .map(|parsed| parsed.authority.userinfo.password)
        .unwrap_or_default();
    let uri: Arc<str> = uri.into();
    let queue: Option<Arc<str>> = queue.map(Into::into);
    Check::new(name, move || {
        let uri = Arc::clone(&uri);
        let queue = queue.clone();
        async move { connect(&uri, queue.as_deref()).await }
    })
    .secret(password)
}

/// A readiness [`Check`] named `name` over the provided resource of type `R` that holds a
/// [`Connection`]: a newtype telling two connections apart.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::lapin;
///
/// struct Audit(::lapin::Connection);
/// impl AsRef<::lapin::Connection> for Audit {
///     fn as_ref(&self) -> &::lapin::Connection { &self.0 }
/// }
///
/// let health = Health::builder().check(lapin::check_as::<Audit>("audit")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>) -> Check
where
    R: AsRef<Connection> + Send + Sync + 'static,
{
    Check::with_resource(name, |connection: Arc<R>| async move {
        open_channel((*connection).as_ref(), None).await
    })
}
