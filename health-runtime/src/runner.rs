//! Runs checks: all of a probe concurrently, each under its timeout, panics caught, and
//! (when configured) results reused — shared by concurrent requests, cached for a TTL, or
//! refreshed in the background.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::redact::public_error;
use crate::{Check, CheckOutcome, CheckResult, CheckStatus, Resources};

/// Runs `checks` concurrently, once each, and returns their results in the same order.
///
/// Each run is polled once in place and, unless it finished there, spawned as its own task
/// bounded by its check's timeout, so the whole takes as long as the slowest check (never
/// the sum), a hung dependency yields `Timeout after {timeout_ms}ms`, a panic yields
/// `check panicked: ...`, and a run never outlives its timeout, even when the caller goes
/// away. Like any async code, a check must not block its thread: wrap blocking calls in
/// `tokio::task::spawn_blocking`, or the timeout cannot fire until the call returns.
///
/// ```
/// use health_runtime::{Check, CheckStatus, Resources, run_checks};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let checks = [
///     Check::new("up", || async { true }),
///     Check::new("down", || async { Err::<(), _>("connection refused") }),
/// ];
/// let results = run_checks(&checks, &Resources::default()).await;
/// assert_eq!(results[0].status(), CheckStatus::Healthy);
/// assert_eq!(results[1].error(), Some("connection refused"));
/// # }
/// ```
pub async fn run_checks<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
    resources: &Resources,
) -> Vec<CheckResult> {
    let slots: Vec<_> = checks
        .into_iter()
        .map(|check| Slot::new(check.clone(), Reuse::default()))
        .collect();
    collect(slots.iter().map(|slot| slot.ticket(resources, false))).await
}

/// How a check's results may be reused between requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reuse {
    /// A result younger than this is served again instead of running the check.
    pub(crate) ttl: Duration,
    /// Results are refreshed by a background task; requests serve the latest one.
    pub(crate) background: bool,
}

impl Reuse {
    fn reuses(self) -> bool {
        self.background || !self.ttl.is_zero()
    }
}

/// One check with its reuse policy, its last result and its run in flight, if any.
pub(crate) struct Slot {
    check: Check,
    /// The check's name, shared by every result instead of copied into each.
    name: Arc<str>,
    reuse: Reuse,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    /// The last result, kept only when results are reused.
    last: Option<Completed>,
    /// The status of the last result, for logging transitions.
    last_status: Option<CheckStatus>,
    in_flight: Option<InFlight>,
}

#[derive(Clone)]
struct Completed {
    result: CheckResult,
    finished: Instant,
}

/// A run every concurrent request for the check waits on, instead of starting its own.
#[derive(Clone)]
struct InFlight {
    done: watch::Receiver<Option<CheckResult>>,
    deadline: Instant,
}

/// What a request gets for one check: a result at once, or a run to wait for.
pub(crate) enum Ticket {
    Ready(CheckResult),
    Wait(InFlightWait),
}

pub(crate) struct InFlightWait {
    in_flight: InFlight,
    slot_name: Arc<str>,
    check: Check,
    reuses: bool,
}

impl Slot {
    pub(crate) fn new(check: Check, reuse: Reuse) -> Arc<Slot> {
        Arc::new(Slot {
            name: Arc::from(check.name()),
            check,
            reuse,
            state: Mutex::new(SlotState::default()),
        })
    }

    pub(crate) fn check(&self) -> &Check {
        &self.check
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A reusable result, else the run in flight, else a new run. `refresh` skips reuse
    /// (the background task) but still joins a run in flight.
    pub(crate) fn ticket(self: &Arc<Self>, resources: &Resources, refresh: bool) -> Ticket {
        let now = Instant::now();
        let mut state = self.state();
        if !refresh && let Some(last) = &state.last {
            let fresh = self.reuse.background || now.duration_since(last.finished) < self.reuse.ttl;
            if fresh {
                let mut result = last.result.clone();
                result.age = Some(now.duration_since(last.finished));
                return Ticket::Ready(result);
            }
        }
        if let Some(in_flight) = &state.in_flight {
            return self.wait(in_flight.clone());
        }
        let (done, waiting) = watch::channel(None);
        let in_flight = InFlight {
            done: waiting,
            deadline: now + self.check.timeout_duration(),
        };
        state.in_flight = Some(in_flight.clone());
        drop(state);

        // Poll the new run once here: a check that is ready at once (a flag, in-memory
        // state) costs no task, channel wake-up or timer, as in a hand-written handler.
        // Only a run that has to wait is spawned, under its timeout.
        let started = Instant::now();
        let mut run = Box::pin(AssertUnwindSafe(self.check.start(resources)).catch_unwind());
        let mut context = Context::from_waker(Waker::noop());
        if let Poll::Ready(outcome) = run.as_mut().poll(&mut context) {
            let result = self.finish(outcome, started.elapsed());
            self.complete(result.clone(), &done);
            return Ticket::Ready(result);
        }
        let timeout = self.check.timeout_duration();
        let slot = Arc::clone(self);
        tokio::spawn(async move {
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(outcome) => outcome,
                Err(_elapsed) => Ok(timed_out(&slot.check)),
            };
            let result = slot.finish(outcome, started.elapsed());
            slot.complete(result, &done);
        });
        self.wait(in_flight)
    }

    fn wait(&self, in_flight: InFlight) -> Ticket {
        Ticket::Wait(InFlightWait {
            in_flight,
            slot_name: Arc::clone(&self.name),
            check: self.check.clone(),
            reuses: self.reuse.reuses(),
        })
    }

    /// The result of a run that ended with `outcome` (or a panic) after `latency`.
    fn finish(&self, outcome: std::thread::Result<CheckOutcome>, latency: Duration) -> CheckResult {
        let outcome = outcome.unwrap_or_else(|panic| panicked(&self.check, panic.as_ref()));
        let mut result = result_of(&self.name, &self.check, outcome, latency);
        if self.reuse.reuses() {
            result.age = Some(Duration::ZERO);
        }
        result
    }

    fn complete(&self, result: CheckResult, done: &watch::Sender<Option<CheckResult>>) {
        let mut state = self.state();
        log_transition(&result, state.last_status);
        state.last_status = Some(result.status);
        if self.reuse.reuses() {
            state.last = Some(Completed {
                result: result.clone(),
                finished: Instant::now(),
            });
        }
        state.in_flight = None;
        drop(state);
        #[cfg(feature = "metrics")]
        crate::metrics::record(&result);
        done.send_replace(Some(result));
    }
}

impl Ticket {
    /// The result, waiting for the run in flight at most until its deadline: a run that
    /// blocks its worker thread and so misses its own timer still cannot hang a request.
    pub(crate) async fn result(self) -> CheckResult {
        let wait = match self {
            Ticket::Ready(result) => return result,
            Ticket::Wait(wait) => wait,
        };
        let InFlight { mut done, deadline } = wait.in_flight;
        if let Some(result) = done.borrow().as_ref() {
            return result.clone();
        }
        match tokio::time::timeout_at(deadline, done.wait_for(Option::is_some)).await {
            Ok(Ok(result)) => result.clone().expect("waited for a result"),
            // The run finished at the deadline or its task was lost: report the timeout.
            Ok(Err(_)) | Err(_) => {
                let latency = wait.check.timeout_duration();
                let outcome = timed_out(&wait.check);
                let mut result = result_of(&wait.slot_name, &wait.check, outcome, latency);
                if wait.reuses {
                    result.age = Some(Duration::ZERO);
                }
                result
            }
        }
    }
}

/// Waits for every ticket; they run concurrently since each run is its own task.
pub(crate) async fn collect(tickets: impl IntoIterator<Item = Ticket>) -> Vec<CheckResult> {
    let tickets: Vec<_> = tickets.into_iter().collect();
    let mut results = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        results.push(ticket.result().await);
    }
    results
}

/// Refreshes every slot each `period` until the slots are dropped, so that requests are
/// served the latest results with no I/O of their own.
pub(crate) async fn refresh_in_background(
    slots: Weak<[Arc<Slot>]>,
    health: crate::Health,
    period: Duration,
) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(slots) = slots.upgrade() else {
            return;
        };
        let tickets: Vec<_> = slots
            .iter()
            .map(|slot| slot.ticket(health.resources(), true))
            .collect();
        drop(slots);
        collect(tickets).await;
    }
}

fn log_transition(result: &CheckResult, previous: Option<CheckStatus>) {
    if previous == Some(result.status) {
        return;
    }
    let name = result.name();
    let from = previous.map_or("unknown", status_name);
    let to = status_name(result.status);
    match result.status {
        CheckStatus::Healthy => tracing::info!(check = name, from, to, "health check is healthy"),
        CheckStatus::Degraded | CheckStatus::Unhealthy => tracing::warn!(
            check = name,
            from,
            to,
            error = result.error().unwrap_or(""),
            "health check is {to}"
        ),
    }
}

fn status_name(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Healthy => "healthy",
        CheckStatus::Degraded => "degraded",
        CheckStatus::Unhealthy => "unhealthy",
    }
}

fn result_of(
    name: &Arc<str>,
    check: &Check,
    outcome: CheckOutcome,
    latency: Duration,
) -> CheckResult {
    let (status, message, details) = outcome.into_parts();
    CheckResult {
        name: Arc::clone(name),
        status,
        latency,
        error: message.map(|message| Arc::from(public_error(message))),
        critical: check.is_critical(),
        details: Arc::new(details),
        age: None,
        finished_at: SystemTime::now(),
    }
}

fn timed_out(check: &Check) -> CheckOutcome {
    CheckOutcome::unhealthy(format!(
        "Timeout after {}ms",
        check.timeout_duration().as_millis()
    ))
}

fn panicked(check: &Check, payload: &(dyn Any + Send)) -> CheckOutcome {
    let reason = if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.as_str()
    } else {
        "non-string panic payload"
    };
    tracing::error!(check = check.name(), panic = %reason, "health check panicked");
    CheckOutcome::unhealthy(format!("check panicked: {reason}"))
}
