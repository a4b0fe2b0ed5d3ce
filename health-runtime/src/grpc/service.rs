//! The `grpc.health.v1.Health` service of a `Health` handle: what `Check`, `Watch` and
//! `List` answer.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use super::names::not_found;
use super::pb::{HealthCheckResponse, HealthListResponse, response};
use super::status::Statuses;
use super::watch::{Feeds, WatchStream};
use crate::probe::{HealthState, Prober};

/// How often a `Watch` re-evaluates its service when nothing else tells it to.
const DEFAULT_WATCH_PERIOD: Duration = Duration::from_secs(5);

/// The `grpc.health.v1.Health` service (`Check`, `Watch`, `List`) over the checks of a
/// [`Health`](crate::Health) handle, with the probe semantics of its HTTP routes. Built by
/// [`Health::grpc`](crate::Health::grpc); add it to a tonic server with
/// `Server::builder().add_service(health.grpc())`.
///
/// | service name | answers like |
/// |---|---|
/// | `""` (what `grpc_health_probe` and a Kubernetes `grpc:` probe without `service` ask) | readiness |
/// | `"readiness"`, `"liveness"`, `"startup"` | that probe |
/// | a check's name | that check, gated like the probe it runs in (readiness first) |
///
/// `SERVING` where the HTTP route would answer 200, `NOT_SERVING` where it would answer
/// 503 (with the default status codes), and `NOT_SERVING` for every service from the
/// moment shutdown begins (the kubelet stops liveness and startup probes of a pod being
/// deleted, so a liveness `grpc:` probe restarts nothing then). The readiness services are
/// `NOT_SERVING` while the application is unavailable
/// ([`Health::set_unavailable`](crate::Health::set_unavailable)), the liveness ones once it
/// is broken ([`Health::mark_broken`](crate::Health::mark_broken)). `Check` on an unknown name fails with `NOT_FOUND`; `Watch` on
/// one streams `SERVICE_UNKNOWN`. Checks, cached results, runs in flight and the startup
/// latch are those the HTTP router of the same handle uses.
///
/// `Watch` sends the current status at once and every change after: its service is
/// evaluated again after each round of background refresh
/// ([`HealthBuilder::background`](crate::HealthBuilder::background)), every
/// [`HealthService::watch_period`] (5 s by default), the moment shutdown begins and the
/// moment the application changes its availability.
/// Streams end when the drain delay after the start of shutdown is over, so that they do
/// not hold up the server's graceful shutdown, which waits for every open stream: give the
/// server [`Health::shutdown_signal`](crate::Health::shutdown_signal) as its shutdown
/// signal, or call [`Health::begin_shutdown`](crate::Health::begin_shutdown) from yours.
#[derive(Clone)]
pub struct HealthService {
    statuses: Arc<Statuses>,
    feeds: Arc<Feeds>,
}

impl std::fmt::Debug for HealthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthService")
            .field("services", &self.statuses.names().collect::<Vec<_>>())
            .field("watch_period", &self.feeds.period())
            .finish()
    }
}

impl HealthService {
    pub(crate) fn new(prober: Arc<Prober>, state: Arc<HealthState>, drain_delay: Duration) -> Self {
        let statuses = Arc::new(Statuses::new(prober, state, drain_delay));
        let feeds = Feeds::new(Arc::clone(&statuses), DEFAULT_WATCH_PERIOD);
        HealthService { statuses, feeds }
    }

    /// How often a `Watch` re-evaluates its service (default 5 s), besides after each
    /// round of background refresh. Without caching, each evaluation runs the service's
    /// checks, once for all the streams watching it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let health = health_runtime::Health::new();
    /// let service = health.grpc().watch_period(Duration::from_secs(1));
    /// # let _ = service;
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    #[must_use]
    pub fn watch_period(self, period: Duration) -> Self {
        assert!(!period.is_zero(), "a Watch period must be longer than zero");
        let feeds = Feeds::new(Arc::clone(&self.statuses), period);
        HealthService { feeds, ..self }
    }

    pub(crate) async fn check(&self, service: &str) -> Result<HealthCheckResponse, tonic::Status> {
        match self.statuses.status_of(service).await {
            Some(status) => Ok(response(status)),
            None => Err(not_found(service)),
        }
    }

    pub(crate) fn watch(&self, service: &str) -> WatchStream {
        self.feeds.watch(service)
    }

    /// Every service, evaluated concurrently: runs shared with the probes in flight.
    pub(crate) async fn list(&self) -> HealthListResponse {
        let statuses = self.statuses.names().map(|name| async move {
            let status = self.statuses.status_of(name).await;
            status.map(|status| (name.to_owned(), response(status)))
        });
        HealthListResponse {
            statuses: join_all(statuses).await.into_iter().flatten().collect(),
        }
    }
}
