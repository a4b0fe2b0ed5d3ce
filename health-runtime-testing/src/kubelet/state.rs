//! What the prober workers and the pod's sync loop share: the pod's state, the messages
//! the loop receives, and the probes with their results.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::Probe;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::http::HttpGet;
use super::log::{Event, Log, Record};

/// A probe result as the results manager stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeResult {
    Success,
    Failure,
    Unknown,
}

/// What a probe calls.
#[derive(Debug, Clone)]
pub(crate) enum Handler {
    /// `httpGet`, its request built from the manifest.
    HttpGet(HttpGet),
    /// `grpc` on this address with this `service` (`""` when the manifest names none).
    Grpc { addr: SocketAddr, service: String },
    /// A probe whose port does not resolve (`ResolveContainerPort`): a prober error at
    /// every run.
    Unresolved(String),
}

/// One probe of the pod, its timings already in real time.
#[derive(Debug, Clone)]
pub(crate) struct ProbeSpec {
    pub(crate) probe: Probe,
    pub(crate) handler: Handler,
    pub(crate) initial_delay_seconds: u64,
    pub(crate) period: Duration,
    pub(crate) timeout: Duration,
    pub(crate) success_threshold: u64,
    pub(crate) failure_threshold: u64,
}

/// The state the workers read and the pod's sync loop writes.
pub(crate) struct Shared {
    pub(crate) started_at: Instant,
    pub(crate) scale: Duration,
    pub(crate) container: Option<u32>,
    pub(crate) container_started_at: Instant,
    pub(crate) running: bool,
    pub(crate) started: bool,
    pub(crate) deleting: bool,
    pub(crate) ready: bool,
    pub(crate) in_endpoints: bool,
    pub(crate) log: Log,
}

impl Shared {
    pub(crate) fn record(&mut self, event: Event) {
        self.log.records.push(Record {
            at: self.started_at.elapsed(),
            container: self.container.unwrap_or(0),
            event,
        });
    }

    /// Whole manifest seconds since the container started, truncated as the kubelet's
    /// `int32(time.Since(startedAt).Seconds())`.
    pub(crate) fn container_seconds(&self) -> u64 {
        (self.container_started_at.elapsed().as_secs_f64() / self.scale.as_secs_f64()) as u64
    }

    pub(crate) fn manifest_now(&self) -> Duration {
        self.started_at.elapsed().div_f64(self.scale.as_secs_f64())
    }
}

/// What reaches the sync loop.
pub(crate) enum Message {
    Result {
        probe: Probe,
        container: Option<u32>,
        result: ProbeResult,
    },
    Exited {
        container: u32,
        code: Option<i32>,
    },
    Delete(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}
