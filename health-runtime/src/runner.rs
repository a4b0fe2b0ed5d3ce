//! Runs checks: all of a probe concurrently, each under its timeout, panics caught, and
//! (when configured) results reused — shared by concurrent requests, cached for a TTL, or
//! refreshed in the background.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use tokio::sync::Notify;
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
    run: Run,
}

/// Whether the check is running, and how others can wait for that run.
#[derive(Default)]
enum Run {
    #[default]
    Idle,
    /// Being polled for the first time by the request that started it: no one else is
    /// waiting, so nothing to notify has been allocated.
    Inline { started: Instant },
    /// Running with others waiting on `done`, or spawned after its first poll.
    Shared(Arc<RunDone>),
}

#[derive(Clone)]
struct Completed {
    result: CheckResult,
    finished: Instant,
}

/// The end of a run every concurrent request for the check waits on, instead of starting
/// its own.
pub(crate) struct RunDone {
    result: OnceLock<CheckResult>,
    notify: Notify,
    deadline: Instant,
}

impl RunDone {
    fn new(deadline: Instant) -> Arc<RunDone> {
        Arc::new(RunDone {
            result: OnceLock::new(),
            notify: Notify::new(),
            deadline,
        })
    }

    fn finish(&self, result: CheckResult) {
        let _ = self.result.set(result);
        self.notify.notify_waiters();
    }

    /// The result, or `None` when the deadline passed first.
    async fn wait(&self) -> Option<CheckResult> {
        let finished = async {
            loop {
                let notified = self.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if let Some(result) = self.result.get() {
                    return result.clone();
                }
                notified.await;
            }
        };
        if let Some(result) = self.result.get() {
            return Some(result.clone());
        }
        tokio::time::timeout_at(self.deadline, finished).await.ok()
    }
}

/// What a request gets for one check: a result at once, or a run to wait for.
pub(crate) enum Ticket {
    Ready(CheckResult),
    Wait(Arc<Slot>, Arc<RunDone>),
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
        match &state.run {
            Run::Shared(done) => return Ticket::Wait(Arc::clone(self), Arc::clone(done)),
            Run::Inline { started } => {
                let done = RunDone::new(*started + self.check.timeout_duration());
                state.run = Run::Shared(Arc::clone(&done));
                return Ticket::Wait(Arc::clone(self), done);
            }
            Run::Idle => state.run = Run::Inline { started: now },
        }
        drop(state);

        // Poll the new run once here: a check that is ready at once (a flag, in-memory
        // state) costs no task, timer or wake-up, as in a hand-written handler. Only a
        // run that has to wait is spawned, under its timeout.
        let mut run = AssertUnwindSafe(self.check.start(resources)).catch_unwind();
        let mut context = Context::from_waker(Waker::noop());
        if let Poll::Ready(outcome) = Pin::new(&mut run).poll(&mut context) {
            let result = self.finish(outcome, now.elapsed());
            self.complete(&result);
            return Ticket::Ready(result);
        }
        let done = {
            let mut state = self.state();
            match &state.run {
                Run::Shared(done) => Arc::clone(done),
                _ => {
                    let done = RunDone::new(now + self.check.timeout_duration());
                    state.run = Run::Shared(Arc::clone(&done));
                    done
                }
            }
        };
        let timeout = self.check.timeout_duration();
        let slot = Arc::clone(self);
        tokio::spawn(async move {
            let outcome = match tokio::time::timeout(timeout, run).await {
                Ok(outcome) => outcome,
                Err(_elapsed) => Ok(timed_out(&slot.check)),
            };
            let result = slot.finish(outcome, now.elapsed());
            slot.complete(&result);
        });
        Ticket::Wait(Arc::clone(self), done)
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

    /// Records the result of the run and hands it to whoever waits for it; copies it only
    /// for whoever keeps it.
    fn complete(&self, result: &CheckResult) {
        let mut state = self.state();
        log_transition(result, state.last_status);
        state.last_status = Some(result.status);
        if self.reuse.reuses() {
            state.last = Some(Completed {
                result: result.clone(),
                finished: Instant::now(),
            });
        }
        let run = std::mem::take(&mut state.run);
        drop(state);
        #[cfg(feature = "metrics")]
        crate::metrics::record(result);
        if let Run::Shared(done) = run {
            done.finish(result.clone());
        }
    }

    /// The result reported when a run missed its deadline without finishing, as a run
    /// that blocks its worker thread does.
    fn timed_out_result(&self) -> CheckResult {
        self.finish(Ok(timed_out(&self.check)), self.check.timeout_duration())
    }
}

impl Ticket {
    /// The result, waiting for the run in flight at most until its deadline: a run that
    /// blocks its worker thread and so misses its own timer still cannot hang a request.
    pub(crate) async fn result(self) -> CheckResult {
        match self {
            Ticket::Ready(result) => result,
            Ticket::Wait(slot, done) => match done.wait().await {
                Some(result) => result,
                None => slot.timed_out_result(),
            },
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
        details: if details.is_empty() {
            Arc::clone(no_details())
        } else {
            Arc::new(details)
        },
        age: None,
        finished_at: SystemTime::now(),
    }
}

/// One shared empty details map, so that results without details allocate none.
fn no_details() -> &'static Arc<serde_json::Map<String, serde_json::Value>> {
    static EMPTY: OnceLock<Arc<serde_json::Map<String, serde_json::Value>>> = OnceLock::new();
    EMPTY.get_or_init(Default::default)
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
