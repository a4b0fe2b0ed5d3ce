//! What a publisher is: the trait, its future and its error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::Event;

/// What [`Publisher::publish`] returns: a boxed future, so that publishers of different
/// types sit in one list.
pub type PublishFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PublishError>> + Send + 'a>>;

/// A sink for the events of a [`Health`](crate::Health): see the [module](super).
///
/// `publish` runs on the publisher's own task, one event at a time and in order; an error
/// (or a run past the publish timeout) is logged, redacted, and counted as failed. Retries
/// are the publisher's business (the built-in `Webhook` retries with backoff).
pub trait Publisher: Send + Sync + 'static {
    /// A short name for logs and [`PublisherStats`](super::PublisherStats); never a secret (a webhook's name is
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
