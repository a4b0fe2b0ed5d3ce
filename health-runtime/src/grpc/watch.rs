//! `Watch`: one feed per watched service, shared by every stream watching it, that
//! re-evaluates the service after each round of background refresh, on a period, the
//! moment shutdown begins and the moment the application changes its availability, and publishes the status when it changes. A hundred watchers
//! of one service cost one evaluation per period, not a hundred.

use std::collections::HashMap;
use std::future::{pending, ready};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::pb::{HealthCheckResponse, ServingStatus, response};
use super::status::Statuses;

/// What a `Watch` call streams.
pub(crate) type WatchStream =
    Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, tonic::Status>> + Send + 'static>>;

/// The latest status of one service; `None` until its first evaluation.
type Feed = Arc<watch::Sender<Option<ServingStatus>>>;

/// The feeds of the services being watched.
pub(crate) struct Feeds {
    statuses: Arc<Statuses>,
    period: Duration,
    /// Only names of services: a stream for an unknown name gets no feed, so that
    /// arbitrary names cannot grow this map.
    by_service: Mutex<HashMap<String, Feed>>,
}

impl Feeds {
    pub(crate) fn new(statuses: Arc<Statuses>, period: Duration) -> Arc<Feeds> {
        Arc::new(Feeds {
            statuses,
            period,
            by_service: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn period(&self) -> Duration {
        self.period
    }

    fn table(&self) -> MutexGuard<'_, HashMap<String, Feed>> {
        self.by_service
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The stream of `service`'s status: the current one, then every change; it ends
    /// when the server stops after shutdown. An unknown name gets `SERVICE_UNKNOWN`, and
    /// the stream stays open until then, as `grpc.health.v1` asks.
    pub(crate) fn watch(self: &Arc<Self>, service: &str) -> WatchStream {
        if !self.statuses.names().any(|name| name == service) {
            return unknown(Arc::clone(&self.statuses));
        }
        let mut table = self.table();
        let receiver = match table.get(service) {
            Some(feed) => feed.subscribe(),
            None => {
                let feed: Feed = Arc::new(watch::channel(None).0);
                let receiver = feed.subscribe();
                table.insert(service.to_owned(), Arc::clone(&feed));
                tokio::spawn(Arc::clone(self).run(service.to_owned(), feed));
                receiver
            }
        };
        Box::pin(follow(receiver))
    }

    /// Evaluates `service` until nobody watches it, or until the server stops.
    async fn run(self: Arc<Self>, service: String, feed: Feed) {
        let statuses = &self.statuses;
        let mut rounds = statuses.refresh_rounds();
        let mut changes = statuses.availability_changes();
        let mut ticks = tokio::time::interval(self.period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            let status = statuses.status_of(&service).await;
            publish(&feed, status.unwrap_or(ServingStatus::ServiceUnknown));
            if statuses.is_shutting_down() {
                publish(&feed, ServingStatus::NotServing);
                break;
            }
            tokio::select! {
                _ = ticks.tick() => {}
                () = next_round(&mut rounds) => {}
                () = statuses.shutdown_began() => {}
                () = changes.next() => {}
                () = feed.closed() => if self.retire(&service, &feed) {
                    return;
                },
            }
        }
        statuses.closed().await;
        self.table().remove(&service);
    }

    /// Removes the feed of `service` unless a stream subscribed in the meantime.
    fn retire(&self, service: &str, feed: &Feed) -> bool {
        let mut table = self.table();
        if feed.receiver_count() > 0 {
            return false;
        }
        table.remove(service);
        true
    }
}

fn publish(feed: &Feed, status: ServingStatus) {
    feed.send_if_modified(|current| current.replace(status) != Some(status));
}

async fn next_round(rounds: &mut Option<watch::Receiver<()>>) {
    if let Some(receiver) = rounds
        && receiver.changed().await.is_ok()
    {
        return;
    }
    pending().await
}

/// Each status of a feed once, from the current one on; ends with the feed.
fn follow(
    receiver: watch::Receiver<Option<ServingStatus>>,
) -> impl Stream<Item = Result<HealthCheckResponse, tonic::Status>> + Send + 'static {
    stream::unfold((receiver, None), |(mut receiver, sent)| async move {
        loop {
            let current = *receiver.borrow_and_update();
            if let Some(status) = current
                && current != sent
            {
                return Some((Ok(response(status)), (receiver, current)));
            }
            receiver.changed().await.ok()?;
        }
    })
}

/// `SERVICE_UNKNOWN`, then nothing until the server stops.
fn unknown(statuses: Arc<Statuses>) -> WatchStream {
    let first = stream::once(ready(Ok(response(ServingStatus::ServiceUnknown))));
    let end = stream::once(async move { statuses.closed().await }).filter_map(|()| ready(None));
    Box::pin(first.chain(end))
}
