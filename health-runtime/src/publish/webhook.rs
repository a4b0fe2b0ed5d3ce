//! The built-in publisher: each event POSTed as JSON to a URL, with a timeout per attempt
//! and retries with exponential backoff; the generic JSON form or the payload of a Slack
//! or Microsoft Teams incoming webhook.

use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;
use serde_json::json;

use super::client::Target;
use super::event::Event;
use super::publisher::{PublishError, PublishFuture, Publisher};
use crate::error::ConfigError;

/// The body a [`Webhook`] posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WebhookFormat {
    /// The event's own JSON (see [`Event`]).
    #[default]
    Json,
    /// A Slack incoming webhook's message: `{"text": "..."}`, the event's
    /// [`summary`](Event::summary) after a status emoji.
    Slack,
    /// A Microsoft Teams incoming webhook's `MessageCard`: `summary`, `title`, `text`
    /// and a `themeColor` red for bad news, green otherwise.
    Teams,
}

/// Posts each event to a URL: see [`HealthBuilder::publisher`](crate::HealthBuilder::publisher).
///
/// The URL is a secret (a Slack or Teams webhook URL *is* the credential): the publisher
/// registers it, so it never appears in a report or a log line, and its errors and its
/// [`name`](Publisher::name) (`webhook:<host>`) never quote it. Each attempt, connection
/// included, is bounded by the [`timeout`](Webhook::timeout); a connection failure, a
/// timeout, a 408, 429 or 5xx answer is retried up to [`retries`](Webhook::retries) times
/// after a backoff that doubles from [`backoff`](Webhook::backoff) (capped at 30 s); any
/// other answer but a 2xx fails at once. By default it posts status changes only; with
/// [`reports`](Webhook::reports) the scheduled reports too.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Health;
/// use health_runtime::publish::{Webhook, WebhookFormat};
///
/// let slack_url = std::env::var("SLACK_WEBHOOK_URL")
///     .unwrap_or_else(|_| "https://hooks.slack.example/services/T000/B000/XXXX".into());
/// let health = Health::builder()
///     .publisher(Webhook::new(&slack_url)?.format(WebhookFormat::Slack))
///     .publisher(
///         Webhook::new("http://127.0.0.1:9000/health-events")?
///             .reports(true)
///             .timeout(Duration::from_secs(2))
///             .retries(5),
///     )
///     .publish_every(Duration::from_secs(60))
///     .build()?;
/// assert!(health.secrets().scrub(&slack_url).contains("***"));
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Webhook {
    target: Target,
    url: String,
    name: String,
    format: WebhookFormat,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    reports: bool,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("reports", &self.reports)
            .finish_non_exhaustive()
    }
}

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much of an answer's body is read (and dropped): a webhook answers `ok`.
const ANSWER_LIMIT: usize = 16 * 1024;

impl Webhook {
    /// A webhook posting to `url` (`http://` or `https://`), in the generic JSON form,
    /// with a 5 s timeout per attempt, 3 retries and a backoff from 500 ms.
    ///
    /// ```
    /// use health_runtime::ConfigError;
    /// use health_runtime::publish::Webhook;
    ///
    /// let error = Webhook::new("hooks.slack.example/T000/secret-part").unwrap_err();
    /// assert!(matches!(error, ConfigError::InvalidUrl { .. }));
    /// assert!(!error.to_string().contains("secret-part"));
    /// ```
    pub fn new(url: impl AsRef<str>) -> Result<Webhook, ConfigError> {
        let url = url.as_ref().trim().to_owned();
        let target = Target::parse(&url).map_err(|reason| ConfigError::InvalidUrl {
            setting: "Webhook::new",
            reason,
        })?;
        Ok(Webhook {
            name: format!("webhook:{}", target.host()),
            target,
            url,
            format: WebhookFormat::Json,
            timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(500),
            reports: false,
        })
    }

    /// The body's form (default [`WebhookFormat::Json`]).
    #[must_use]
    pub fn format(mut self, format: WebhookFormat) -> Self {
        self.format = format;
        self
    }

    /// The bound of each attempt, from connecting to the end of the answer (default 5 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed attempt is retried (default 3).
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The wait before the first retry, doubled before each next one (default 500 ms).
    #[must_use]
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Whether the scheduled reports are posted too, not only status changes (default
    /// `false`).
    #[must_use]
    pub fn reports(mut self, reports: bool) -> Self {
        self.reports = reports;
        self
    }

    /// The body of `event` in this webhook's form.
    fn body(&self, event: &Event) -> Result<Bytes, PublishError> {
        let value = match self.format {
            WebhookFormat::Json => serde_json::to_value(event)?,
            WebhookFormat::Slack => {
                let mark = if event.is_failure() {
                    ":red_circle:"
                } else {
                    ":large_green_circle:"
                };
                json!({ "text": format!("{mark} {}", event.summary()) })
            }
            WebhookFormat::Teams => {
                let (title, color) = if event.is_failure() {
                    ("Health check failing", "B42318")
                } else {
                    ("Health check passing", "1A7F37")
                };
                json!({
                    "@type": "MessageCard",
                    "@context": "http://schema.org/extensions",
                    "summary": event.summary(),
                    "themeColor": color,
                    "title": title,
                    "text": event.summary(),
                })
            }
        };
        Ok(Bytes::from(serde_json::to_vec(&value)?))
    }

    /// One attempt: `Ok` on a 2xx, else whether to retry and why.
    async fn attempt(&self, body: &Bytes) -> Result<(), (bool, String)> {
        let sent = self.target.send(
            Method::POST,
            Some(("application/json", body.clone())),
            ANSWER_LIMIT,
        );
        match tokio::time::timeout(self.timeout, sent).await {
            Err(_) => Err((
                true,
                format!("no answer within {}ms", self.timeout.as_millis()),
            )),
            Ok(Err(error)) => Err((true, error)),
            Ok(Ok(answer)) if (200..300).contains(&answer.status) => Ok(()),
            Ok(Ok(answer)) => {
                let retry = matches!(answer.status, 408 | 429) || answer.status >= 500;
                Err((retry, format!("answered {}", answer.status)))
            }
        }
    }
}

impl Publisher for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(&'a self, event: &'a Event) -> PublishFuture<'a> {
        Box::pin(async move {
            if matches!(event, Event::Report { .. }) && !self.reports {
                return Ok(());
            }
            let body = self.body(event)?;
            let mut wait = self.backoff;
            let mut attempt = 0;
            loop {
                let (retry, error) = match self.attempt(&body).await {
                    Ok(()) => return Ok(()),
                    Err(failure) => failure,
                };
                if !retry || attempt >= self.retries {
                    let tries = attempt + 1;
                    return Err(PublishError::new(format!(
                        "{}: {error} (after {tries} attempt{})",
                        self.name,
                        if tries == 1 { "" } else { "s" }
                    )));
                }
                attempt += 1;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        })
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![self.url.clone()];
        // Slack's and Teams' credential is the path itself, which an error of a proxy or
        // a log line might quote without the host.
        if self.target.path().len() >= 16 {
            secrets.push(self.target.path().to_owned());
        }
        secrets
    }
}
