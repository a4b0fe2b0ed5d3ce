//! The publishers' queues and tasks: each publisher's bounded queue, filled from the probe
//! path without waiting, drained by a task of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::{self, error::TrySendError};

use super::event::Event;
use super::publisher::Publisher;
use crate::probe::{Exclusions, Probe, Prober, Scope};
use crate::redact::Secrets;
use crate::redact::public_error;
use crate::run::change::StatusChange;

/// What [`HealthBuilder`](crate::HealthBuilder) collects about publishing.
pub(crate) struct PublishingSettings {
    pub(crate) publishers: Vec<Arc<dyn Publisher>>,
    pub(crate) every: Option<Duration>,
    pub(crate) queue: usize,
    pub(crate) timeout: Duration,
}

impl Default for PublishingSettings {
    fn default() -> Self {
        PublishingSettings {
            publishers: Vec::new(),
            every: None,
            queue: 64,
            timeout: Duration::from_secs(30),
        }
    }
}

/// How one publisher fared so far, from
/// [`Health::publisher_stats`](crate::Health::publisher_stats).
///
/// ```
/// # fn show(health: &health_runtime::Health) {
/// for stats in health.publisher_stats() {
///     println!(
///         "{}: {} delivered, {} failed, {} dropped, {} queued",
///         stats.name(),
///         stats.delivered(),
///         stats.failed(),
///         stats.dropped(),
///         stats.queued()
///     );
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherStats {
    name: String,
    delivered: u64,
    failed: u64,
    dropped: u64,
    queued: usize,
}

impl PublisherStats {
    /// The publisher's [`name`](super::Publisher::name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Events the publisher took.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Events the publisher failed to deliver (an error, or past the publish timeout).
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// Events dropped because the publisher's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Events waiting in the queue now.
    pub fn queued(&self) -> usize {
        self.queued
    }
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

struct Outlet {
    publisher: Arc<dyn Publisher>,
    sender: mpsc::Sender<Arc<Event>>,
    /// Taken by the delivering task when it starts.
    receiver: Mutex<Option<mpsc::Receiver<Arc<Event>>>>,
    counters: Arc<Counters>,
}

/// Every publisher of one handle with its queue.
pub(crate) struct Publishing {
    outlets: Vec<Outlet>,
    every: Option<Duration>,
    timeout: Duration,
    /// The handle's secrets, scrubbed from the errors logged; set once the handle exists.
    secrets: OnceLock<Secrets>,
    started: AtomicBool,
}

impl Publishing {
    /// The queues of `settings`' publishers; `None` without publishers.
    pub(crate) fn new(settings: PublishingSettings) -> Option<Arc<Publishing>> {
        if settings.publishers.is_empty() {
            return None;
        }
        let outlets = settings
            .publishers
            .into_iter()
            .map(|publisher| {
                let (sender, receiver) = mpsc::channel(settings.queue.max(1));
                Outlet {
                    publisher,
                    sender,
                    receiver: Mutex::new(Some(receiver)),
                    counters: Arc::default(),
                }
            })
            .collect();
        Some(Arc::new(Publishing {
            outlets,
            every: settings.every,
            timeout: settings.timeout,
            secrets: OnceLock::new(),
            started: AtomicBool::new(false),
        }))
    }

    /// Scrubs `secrets` (the handle's) from the errors the publishers log.
    pub(crate) fn use_secrets(&self, secrets: &Secrets) {
        let _ = self.secrets.set(secrets.clone());
    }

    /// Offers `change` to every queue: what the status-change hook does on the probe path.
    pub(crate) fn changed(&self, change: &StatusChange) {
        self.offer(Event::Change {
            change: change.clone(),
            at: SystemTime::now(),
        });
    }

    /// Puts `event` in every queue that has room, and counts it dropped in the others.
    fn offer(&self, event: Event) {
        let event = Arc::new(event);
        for outlet in &self.outlets {
            match outlet.sender.try_send(Arc::clone(&event)) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Closed(_)) => {
                    let dropped = outlet.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    // Logged at the first drop and every hundredth after, not per event.
                    if dropped % 100 == 1 {
                        tracing::warn!(
                            publisher = outlet.publisher.name(),
                            dropped,
                            "publisher queue full: event dropped"
                        );
                    }
                }
            }
        }
    }

    pub(crate) fn stats(&self) -> Vec<PublisherStats> {
        self.outlets
            .iter()
            .map(|outlet| PublisherStats {
                name: outlet.publisher.name().to_owned(),
                delivered: outlet.counters.delivered.load(Ordering::Relaxed),
                failed: outlet.counters.failed.load(Ordering::Relaxed),
                dropped: outlet.counters.dropped.load(Ordering::Relaxed),
                queued: outlet.sender.max_capacity() - outlet.sender.capacity(),
            })
            .collect()
    }

    /// Starts the delivering tasks and the schedule, once, when inside a tokio runtime.
    pub(crate) fn start(self: &Arc<Self>, prober: &Arc<Prober>) {
        if tokio::runtime::Handle::try_current().is_err()
            || self.started.swap(true, Ordering::AcqRel)
        {
            return;
        }
        for outlet in &self.outlets {
            let receiver = outlet
                .receiver
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .take();
            if let Some(receiver) = receiver {
                tokio::spawn(deliver(
                    Arc::clone(&outlet.publisher),
                    receiver,
                    Arc::clone(&outlet.counters),
                    self.timeout,
                    self.secrets.get().cloned().unwrap_or_default(),
                ));
            }
        }
        if let Some(period) = self.every {
            tokio::spawn(schedule(
                Arc::downgrade(self),
                Arc::downgrade(prober),
                period,
            ));
        }
    }
}

/// Hands each event of `receiver` to `publisher`, in order, until the handle is dropped.
async fn deliver(
    publisher: Arc<dyn Publisher>,
    mut receiver: mpsc::Receiver<Arc<Event>>,
    counters: Arc<Counters>,
    timeout: Duration,
    secrets: Secrets,
) {
    while let Some(event) = receiver.recv().await {
        let failure = match tokio::time::timeout(timeout, publisher.publish(&event)).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(_) => Some(format!("no answer within {}ms", timeout.as_millis())),
        };
        match failure {
            None => {
                counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Some(error) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    publisher = publisher.name(),
                    error = %public_error(&error, &secrets),
                    "publisher failed to deliver an event"
                );
            }
        }
    }
}

/// Takes the readiness report every `period` and offers it, until the handle is dropped.
async fn schedule(publishing: Weak<Publishing>, prober: Weak<Prober>, period: Duration) {
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(prober) = prober.upgrade() else {
            return;
        };
        let report = prober
            .report(Scope::Probe(Probe::Readiness), &Exclusions::default())
            .await;
        drop(prober);
        let Some(publishing) = publishing.upgrade() else {
            return;
        };
        publishing.offer(Event::Report {
            probe: Probe::Readiness,
            report,
            at: SystemTime::now(),
        });
    }
}
