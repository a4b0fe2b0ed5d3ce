//! The serving status of each service: what the probe layer decides, and NOT_SERVING for
//! every service from the moment shutdown begins.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::names::Services;
use super::pb::ServingStatus;
use crate::probe::{Changes, Exclusions, HealthState, Prober, Scope};

/// The statuses of one handle's services.
pub(crate) struct Statuses {
    prober: Arc<Prober>,
    state: Arc<HealthState>,
    services: Services,
    drain_delay: Duration,
}

impl Statuses {
    pub(crate) fn new(prober: Arc<Prober>, state: Arc<HealthState>, drain_delay: Duration) -> Self {
        let runners = state.own_runners();
        let services = Services::new(runners.iter().map(|runner| runner.check()));
        Statuses {
            prober,
            state,
            services,
            drain_delay,
        }
    }

    /// The status of `service`, or `None` for a name that is no service.
    pub(crate) async fn status_of(&self, service: &str) -> Option<ServingStatus> {
        let scope = self.services.resolve(&self.prober, service)?;
        Some(self.status(scope).await)
    }

    async fn status(&self, scope: Scope<'_>) -> ServingStatus {
        if self.is_shutting_down() {
            return ServingStatus::NotServing;
        }
        let settled = match scope {
            Scope::Probe(probe) => self.prober.settled(probe),
            _ => None,
        };
        let passes = match settled {
            Some(status) => status.passes(),
            None => self.report_passes(scope).await,
        };
        if passes && !self.is_shutting_down() {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        }
    }

    /// Whether the report of `scope` passes. A check still running when shutdown begins
    /// does not delay the answer; a report served from the cache is ready before shutdown
    /// is even looked at.
    async fn report_passes(&self, scope: Scope<'_>) -> bool {
        let all = Exclusions::default();
        tokio::select! {
            biased;
            report = self.prober.report(scope, &all) => report.status().passes(),
            () = self.shutdown_began() => false,
        }
    }

    /// Every service name, the probes' first.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.services.names()
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.state.lifecycle.is_shutting_down()
    }

    pub(crate) async fn shutdown_began(&self) {
        self.state.lifecycle.shutdown_began().await;
    }

    /// The application's changes of availability (and marking itself broken) from now on.
    pub(crate) fn availability_changes(&self) -> Changes {
        self.state.availability.changes()
    }

    /// Resolves when streams end: once the drain delay after the start of shutdown is
    /// over, when the server stops (`Health::shutdown_signal` resolves at that moment), so
    /// that an open `Watch` never holds up a graceful shutdown.
    pub(crate) async fn closed(&self) {
        self.shutdown_began().await;
        if let Some(began_at) = self.state.lifecycle.began_at() {
            tokio::time::sleep_until(began_at + self.drain_delay).await;
        }
    }

    /// Changes after each round of background refresh; `None` without background refresh.
    pub(crate) fn refresh_rounds(&self) -> Option<watch::Receiver<()>> {
        self.state.refresh_rounds()
    }
}
