//! Publishers: the reports and status changes of a [`Health`](crate::Health) pushed to
//! sinks of the application's choosing (a webhook, a chat channel, a metrics pipeline),
//! the idea of ASP.NET's `IHealthCheckPublisher`.
//!
//! A [`Publisher`] is handed each [`Event`]: every status change of a check or of a probe
//! as it happens (the events of [`HealthBuilder::on_change`](crate::HealthBuilder::on_change)),
//! and, with [`HealthBuilder::publish_every`](crate::HealthBuilder::publish_every), the
//! readiness report on that period. Each publisher has a queue of its own, bounded
//! ([`HealthBuilder::publish_queue`](crate::HealthBuilder::publish_queue)), and a task of
//! its own that delivers the events in order, each within
//! [`HealthBuilder::publish_timeout`](crate::HealthBuilder::publish_timeout): the probe
//! path only offers an event to each queue and never waits. A slow or dead sink fills its
//! queue; what no longer fits is dropped and counted ([`PublisherStats::dropped`]), and the
//! other publishers and the probes go on.
//!
//! The publishing tasks start with the first router (or gRPC service) built inside a tokio
//! runtime, and end with the handle.
//!
//! ```
//! use health_runtime::publish::{Event, PublishFuture, Publisher};
//! use health_runtime::{Check, Health};
//!
//! /// Writes each event as a JSON line on stderr.
//! struct JsonLines;
//!
//! impl Publisher for JsonLines {
//!     fn name(&self) -> &str {
//!         "json-lines"
//!     }
//!
//!     fn publish<'a>(&'a self, event: &'a Event) -> PublishFuture<'a> {
//!         Box::pin(async move {
//!             eprintln!("{}", serde_json::to_string(event)?);
//!             Ok(())
//!         })
//!     }
//! }
//!
//! let health = Health::builder()
//!     .check(Check::new("disk", || async { true }))
//!     .publisher(JsonLines)
//!     .publish_every(std::time::Duration::from_secs(30))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

#[cfg(any(feature = "ui", feature = "webhook"))]
pub(crate) mod client;
mod event;
mod queue;
#[cfg(feature = "webhook")]
mod webhook;

pub use event::Event;
pub use queue::PublisherStats;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::{Webhook, WebhookFormat};

pub(crate) use queue::{Publishing, PublishingSettings};

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// What [`Publisher::publish`] returns: a boxed future, so that publishers of different
/// types sit in one list.
pub type PublishFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PublishError>> + Send + 'a>>;

/// A sink for the events of a [`Health`](crate::Health): see the [module](self).
///
/// `publish` runs on the publisher's own task, one event at a time and in order; an error
/// (or a run past the publish timeout) is logged, redacted, and counted as failed. Retries
/// are the publisher's business (the built-in [`Webhook`] retries with backoff).
pub trait Publisher: Send + Sync + 'static {
    /// A short name for logs and [`PublisherStats`]; never a secret (a webhook's name is
    /// its host, not its URL).
    fn name(&self) -> &str;

    /// Delivers one event.
    fn publish<'a>(&'a self, event: &'a Event) -> PublishFuture<'a>;

    /// The secrets this publisher holds (a webhook URL is one: Slack's and Teams' carry
    /// their credential in the path): registered as the handle's secrets when the
    /// publisher is added, so they never appear in a report or a log line.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Why an event was not delivered: a message for the log.
///
/// ```
/// use health_runtime::publish::PublishError;
///
/// let error = PublishError::from("the sink answered 500");
/// assert_eq!(error.to_string(), "the sink answered 500");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishError(String);

impl PublishError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> PublishError {
        PublishError(message.into())
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PublishError {}

impl From<String> for PublishError {
    fn from(message: String) -> PublishError {
        PublishError(message)
    }
}

impl From<&str> for PublishError {
    fn from(message: &str) -> PublishError {
        PublishError(message.to_owned())
    }
}

impl From<serde_json::Error> for PublishError {
    fn from(error: serde_json::Error) -> PublishError {
        PublishError(format!("cannot serialise the event: {error}"))
    }
}

impl From<std::io::Error> for PublishError {
    fn from(error: std::io::Error) -> PublishError {
        PublishError(error.to_string())
    }
}
