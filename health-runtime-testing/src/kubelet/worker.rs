//! One prober worker, as `pkg/kubelet/prober/worker.go` runs it: one per probe of the
//! pod, for the pod's whole life (its counters outlive container restarts), probing on a
//! ticker and on manual triggers.

use std::sync::{Arc, Mutex};

use health_runtime::Probe;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, MissedTickBehavior};

use super::grpc::grpc_check;
use super::log::Event;
use super::outcome::Outcome;
use super::state::{Handler, Message, ProbeResult, ProbeSpec, Shared};

pub(crate) struct Worker {
    pub(crate) spec: ProbeSpec,
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) messages: mpsc::UnboundedSender<Message>,
    pub(crate) trigger: Arc<Notify>,
    /// `newWorker`'s `initialValue`: readiness fails, liveness succeeds, startup is unknown.
    initial: ProbeResult,
    container: Option<u32>,
    last_result: Option<ProbeResult>,
    result_run: u64,
    on_hold: bool,
}

impl Worker {
    pub(crate) fn new(
        spec: ProbeSpec,
        shared: Arc<Mutex<Shared>>,
        messages: mpsc::UnboundedSender<Message>,
        trigger: Arc<Notify>,
    ) -> Worker {
        let initial = match spec.probe {
            Probe::Readiness => ProbeResult::Failure,
            Probe::Liveness => ProbeResult::Success,
            Probe::Startup => ProbeResult::Unknown,
        };
        Worker {
            spec,
            shared,
            messages,
            trigger,
            initial,
            container: None,
            last_result: None,
            result_run: 0,
            on_hold: false,
        }
    }

    /// `run`: probe at once, then on every tick of the period or manual trigger. A probe
    /// slower than the period delays the next one and the missed ticks are dropped, as with
    /// Go's `time.Ticker`.
    pub(crate) async fn run(mut self) {
        let period = self.spec.period;
        let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        while self.do_probe().await {
            tokio::select! {
                _ = ticker.tick() => {}
                () = self.trigger.notified() => {}
            }
        }
    }

    /// `doProbe`: probes the current container once and records the result; whether the
    /// worker goes on.
    async fn do_probe(&mut self) -> bool {
        let (container, running, deleting, started, seconds) = {
            let state = self.shared.lock().unwrap();
            (
                state.container,
                state.running,
                state.deleting,
                state.started,
                state.container_seconds(),
            )
        };
        let probe = self.spec.probe;
        // Graceful shutdown of the pod: liveness and startup report success and stop.
        if deleting && matches!(probe, Probe::Liveness | Probe::Startup) {
            self.set(ProbeResult::Success);
            return false;
        }
        let Some(container) = container else {
            return true; // the container has not been created yet
        };
        if self.container != Some(container) {
            // A new container: its results begin at the initial value; probing resumes.
            self.container = Some(container);
            self.set(self.initial);
            self.on_hold = false;
        }
        if self.on_hold {
            return true;
        }
        if !running {
            self.set(ProbeResult::Failure);
            return true; // restartPolicy Always: the container comes back
        }
        if seconds < self.spec.initial_delay_seconds {
            return true;
        }
        // Startup stops once the container started; the others wait until then.
        if started == (probe == Probe::Startup) {
            return true;
        }
        // `prober.runProbe`: the handler of the probe, on the pod's address.
        let outcome = match &self.spec.handler {
            Handler::HttpGet(request) => request.probe(self.spec.timeout).await,
            Handler::Grpc { addr, service } => grpc_check(*addr, service, self.spec.timeout).await,
            Handler::Unresolved(error) => Outcome::Discarded(error.clone()),
        };
        self.record(Event::Probed(probe, outcome.clone()));
        if !outcome.counts() {
            return true; // prober error: the result is thrown away
        }
        self.count(if outcome.is_success() {
            ProbeResult::Success
        } else {
            ProbeResult::Failure
        });
        true
    }

    /// The threshold logic of `doProbe`; the run of equal results goes on across
    /// containers, and only a liveness or startup failure resets it.
    fn count(&mut self, result: ProbeResult) {
        if self.last_result == Some(result) {
            self.result_run += 1;
        } else {
            self.last_result = Some(result);
            self.result_run = 1;
        }
        let threshold = match result {
            ProbeResult::Failure => self.spec.failure_threshold,
            _ => self.spec.success_threshold,
        };
        if self.result_run < threshold {
            return;
        }
        self.set(result);
        if matches!(self.spec.probe, Probe::Liveness | Probe::Startup)
            && result == ProbeResult::Failure
        {
            // The container will be restarted: stop probing until a new one appears.
            self.on_hold = true;
            self.result_run = 0;
        }
    }

    /// `resultsManager.Set`: the pod's sync loop hears of every change.
    fn set(&self, result: ProbeResult) {
        let _ = self.messages.send(Message::Result {
            probe: self.spec.probe,
            container: self.container,
            result,
        });
    }

    fn record(&self, event: Event) {
        self.shared.lock().unwrap().record(event);
    }
}
