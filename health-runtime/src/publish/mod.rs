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
mod publisher;
mod queue;
#[cfg(feature = "webhook")]
mod webhook;

pub use event::Event;
pub use publisher::{PublishError, PublishFuture, Publisher};
pub use queue::PublisherStats;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::{Webhook, WebhookFormat};

pub(crate) use queue::{Publishing, PublishingSettings};
