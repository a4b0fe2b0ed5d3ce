//! One check's runner: its reuse policy, its last result and its run in flight, if any.
//!
//! Concurrent requests for a check share one run in flight (single-flight); when results
//! are reused, a result younger than the TTL (or, in background mode, the latest one) is
//! served instead of running the check.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::Instrument;

use super::change::Hooks;
use super::panics::{PanicScope, payload_text};
use super::result::{CheckResult, Counted};
use super::schedule::{Random, Schedule, Spread};
use crate::check::{Check, CheckFuture, CheckOutcome, CheckStatus, Resources};
use crate::history::{CheckHistory, RanBy};
use crate::redact::{Secrets, public_details, public_error};

/// How a check's results may be reused between requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reuse {
    /// A result younger than this (less its jitter and, the first time, its phase; see
    /// [`Spread::ttl`]) is served again instead of running the check.
    pub(crate) ttl: Duration,
    /// Results are refreshed by a background task on this schedule; requests serve the
    /// latest one.
    pub(crate) background: Option<Schedule>,
    /// How the TTL's expiries are spread.
    pub(crate) spread: Spread,
}

impl Default for Reuse {
    fn default() -> Self {
        Reuse {
            ttl: Duration::ZERO,
            background: None,
            spread: Spread::NONE,
        }
    }
}

impl Reuse {
    fn reuses(self) -> bool {
        self.background.is_some() || !self.ttl.is_zero()
    }
}

/// One check with its reuse policy, its last result and its run in flight, if any.
pub(crate) struct Runner {
    check: Check,
    /// The check's name, shared by every result instead of copied into each.
    name: Arc<str>,
    /// The probes the check runs in, as its spans name them: `readiness`,
    /// `liveness,readiness`.
    probes: Box<str>,
    reuse: Reuse,
    hooks: Hooks,
    /// Where each run is recorded, when history is on.
    history: Option<Arc<CheckHistory>>,
    state: Mutex<RunnerState>,
    /// How many results were recorded: a report rendered when every check of it had
    /// recorded as many is what those checks still say.
    recorded: AtomicU64,
    /// Until when the last result is served again instead of running the check, on the
    /// [`clock`]: 0 before the first result (or when results are never reused), `u64::MAX`
    /// in background mode.
    fresh_until: AtomicU64,
}

/// Nanoseconds since the first call in this process, on tokio's clock (paused with it in
/// tests): the time base of [`Runner::reused`].
pub(crate) fn clock(now: Instant) -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(|| now);
    u64::try_from(now.saturating_duration_since(base).as_nanos()).unwrap_or(u64::MAX)
}

struct RunnerState {
    /// The last result, kept only when results are reused.
    last: Option<Completed>,
    /// The status of the last result, for logging transitions.
    last_status: Option<CheckStatus>,
    run: RunState,
    /// Consecutive failed and successful runs, for the check's thresholds.
    streak: Streak,
    /// How many runs were started: each run's id, so that a run ending late never ends
    /// the one that replaced it.
    runs: u64,
    /// The draws of the TTL's jitter.
    random: Random,
}

#[derive(Default)]
struct Streak {
    failures: u32,
    successes: u32,
}

impl RunnerState {
    /// Whether run `id` still holds the slot (it was not expired and replaced).
    fn holds(&self, id: u64) -> bool {
        match &self.run {
            RunState::Idle => false,
            RunState::Inline { id: current, .. } => *current == id,
            RunState::Shared(in_flight) => in_flight.id == id,
        }
    }
}

/// Whether the check is running, and how others can wait for that run.
#[derive(Default)]
enum RunState {
    #[default]
    Idle,
    /// Being polled for the first time by the request that started it: no one else is
    /// waiting, so nothing to notify has been allocated.
    Inline {
        id: u64,
        started: Instant,
        ran_by: RanBy,
    },
    /// Running with others waiting on it, or spawned after its first poll.
    Shared(Arc<InFlight>),
}

#[derive(Clone)]
struct Completed {
    result: CheckResult,
    finished: Instant,
    /// How long after `finished` the result is served again (`Duration::MAX` in
    /// background mode).
    fresh_for: Duration,
}

/// A run in flight that every concurrent request for the check waits on, instead of
/// starting its own.
pub(crate) struct InFlight {
    id: u64,
    result: OnceLock<CheckResult>,
    notify: Notify,
    deadline: Instant,
    ran_by: RanBy,
}

impl InFlight {
    fn new(id: u64, deadline: Instant, ran_by: RanBy) -> Arc<InFlight> {
        Arc::new(InFlight {
            id,
            result: OnceLock::new(),
            notify: Notify::new(),
            deadline,
            ran_by,
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

/// A single poll longer than this blocked its thread: it is named in a warning.
const BLOCKED_THREAD: Duration = Duration::from_millis(100);

/// A check's run with panics caught (in its function, its future and its drop, each
/// printed redacted by the panic hook) and its longest poll timed: a poll that long was a
/// blocking call on the runtime's thread.
struct TimedRun {
    run: Option<futures_util::future::CatchUnwind<AssertUnwindSafe<CheckFuture>>>,
    /// The panic of the check's function, before it returned a future.
    panicked: Option<Box<dyn Any + Send>>,
    scope: PanicScope,
    longest_poll: Duration,
    /// Whether each poll is timed: not the first, inline one, which the run's latency
    /// times already.
    timed: bool,
}

impl TimedRun {
    /// Calls the check's function for one run.
    fn start(runner: &Runner, resources: &Resources) -> TimedRun {
        let scope = PanicScope {
            check: Arc::clone(&runner.name),
            secrets: resources.secrets().clone(),
        };
        let started = scope
            .enter(|| std::panic::catch_unwind(AssertUnwindSafe(|| runner.check.start(resources))));
        let (run, panicked) = match started {
            Ok(future) => (Some(AssertUnwindSafe(future).catch_unwind()), None),
            Err(panic) => (None, Some(panic)),
        };
        TimedRun {
            run,
            panicked,
            scope,
            longest_poll: Duration::ZERO,
            timed: false,
        }
    }

    /// The outcome, or `Timeout` at `deadline`; the run is dropped either way, and a
    /// panic while dropping it is caught too.
    async fn until(
        &mut self,
        deadline: Instant,
        check: &Check,
    ) -> std::thread::Result<CheckOutcome> {
        let outcome = tokio::select! {
            biased;
            outcome = &mut *self => outcome,
            () = tokio::time::sleep_until(deadline) => Ok(timed_out(check)),
        };
        self.drop_caught(check);
        outcome
    }

    fn drop_caught(&mut self, check: &Check) {
        let run = self.run.take();
        let dropped = self
            .scope
            .enter(|| std::panic::catch_unwind(AssertUnwindSafe(|| drop(run))));
        if dropped.is_err() {
            tracing::error!(
                check = check.name(),
                "health check panicked while being dropped"
            );
        }
    }
}

impl Future for TimedRun {
    type Output = std::thread::Result<CheckOutcome>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(panic) = self.panicked.take() {
            return Poll::Ready(Err(panic));
        }
        let this = &mut *self;
        let Some(run) = this.run.as_mut() else {
            return Poll::Pending;
        };
        if !this.timed {
            return this.scope.enter(|| Pin::new(run).poll(context));
        }
        let started = std::time::Instant::now();
        let poll = this.scope.enter(|| Pin::new(run).poll(context));
        let took = started.elapsed();
        this.longest_poll = this.longest_poll.max(took);
        poll
    }
}

/// What a request gets for one check: a result at once, or a run to wait for.
pub(crate) enum Ticket {
    Ready(CheckResult),
    Wait(Arc<Runner>, Arc<InFlight>, Secrets),
}

impl Runner {
    pub(crate) fn new(check: Check, reuse: Reuse, hooks: Hooks) -> Arc<Runner> {
        let probes = check
            .probes
            .iter()
            .map(|probe| probe.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let name: Arc<str> = Arc::from(check.name());
        let random = Random::seeded(check.name());
        Arc::new(Runner {
            history: hooks.history_of(&name),
            name,
            probes: probes.into_boxed_str(),
            check,
            reuse,
            hooks,
            state: Mutex::new(RunnerState {
                last: None,
                last_status: None,
                run: RunState::Idle,
                streak: Streak::default(),
                runs: 0,
                random,
            }),
            recorded: AtomicU64::new(0),
            fresh_until: AtomicU64::new(0),
        })
    }

    /// How many results the check recorded, while its last result is served again at
    /// `now` (see [`clock`]) without running it; `None` when a request would run it (its
    /// results are not reused, it has none yet, or the last one is older than the TTL).
    /// Lock-free: what lets a probe serve a report it already rendered.
    pub(crate) fn reused(&self, now: u64) -> Option<u64> {
        let recorded = self.recorded.load(Ordering::Acquire);
        (now < self.fresh_until.load(Ordering::Acquire)).then_some(recorded)
    }

    pub(crate) fn check(&self) -> &Check {
        &self.check
    }

    /// The check's background schedule, when it is refreshed in the background.
    pub(crate) fn schedule(&self) -> Option<Schedule> {
        self.reuse.background
    }

    fn state(&self) -> MutexGuard<'_, RunnerState> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A reusable result, else the run in flight, else a new run, recorded as run by
    /// `ran_by`. The background refresh skips reuse but still joins a run in flight.
    pub(crate) fn ticket(self: &Arc<Self>, resources: &Resources, ran_by: RanBy) -> Ticket {
        let refresh = ran_by == RanBy::Background;
        let now = Instant::now();
        let secrets = resources.secrets();
        let mut state = self.state();
        if !refresh && let Some(last) = &state.last {
            let fresh = now.duration_since(last.finished) < last.fresh_for;
            if fresh {
                let mut result = last.result.clone();
                result.age = Some(now.duration_since(last.finished));
                return Ticket::Ready(result);
            }
        }
        match &state.run {
            RunState::Shared(in_flight) => {
                return Ticket::Wait(Arc::clone(self), Arc::clone(in_flight), secrets.clone());
            }
            &RunState::Inline {
                id,
                started,
                ran_by,
            } => {
                let in_flight = InFlight::new(id, started + self.check.timeout, ran_by);
                state.run = RunState::Shared(Arc::clone(&in_flight));
                return Ticket::Wait(Arc::clone(self), in_flight, secrets.clone());
            }
            RunState::Idle => {}
        }
        state.runs += 1;
        let id = state.runs;
        state.run = RunState::Inline {
            id,
            started: now,
            ran_by,
        };
        drop(state);
        self.start(resources, now, id, ran_by)
    }

    /// Polls a new run once here: a check that is ready at once (a flag, in-memory state)
    /// costs no task, timer or wake-up, as in a hand-written handler. Only a run that has
    /// to wait is spawned, under its timeout.
    fn start(
        self: &Arc<Self>,
        resources: &Resources,
        now: Instant,
        id: u64,
        ran_by: RanBy,
    ) -> Ticket {
        let secrets = resources.secrets();
        let span = self.span();
        let mut run = in_span(&span, || TimedRun::start(self, resources));
        let mut context = Context::from_waker(Waker::noop());
        let first = in_span(&span, || Pin::new(&mut run).poll(&mut context));
        // The check's function and its first poll, timed together: as long as the run so
        // far, and its longest poll so far.
        let so_far = now.elapsed();
        run.longest_poll = so_far;
        run.timed = true;
        if let Poll::Ready(outcome) = first {
            let mut result = self.finish(outcome, so_far, run.longest_poll, secrets);
            self.complete(&mut result, id, ran_by, span);
            return Ticket::Ready(result);
        }
        let in_flight = {
            let mut state = self.state();
            match &state.run {
                RunState::Shared(in_flight) if in_flight.id == id => Arc::clone(in_flight),
                RunState::Inline { id: current, .. } if *current == id => {
                    let in_flight = InFlight::new(id, now + self.check.timeout, ran_by);
                    state.run = RunState::Shared(Arc::clone(&in_flight));
                    in_flight
                }
                // Its first poll blocked the thread past the deadline, and the run was
                // expired meanwhile: it is over.
                _ => {
                    drop(state);
                    run.drop_caught(&self.check);
                    return Ticket::Ready(self.timed_out_result(secrets));
                }
            }
        };
        let runner = Arc::clone(self);
        let task_secrets = secrets.clone();
        let deadline = in_flight.deadline;
        tokio::spawn(async move {
            let outcome = run
                .until(deadline, &runner.check)
                .instrument(span.clone())
                .await;
            let mut result = in_span(&span, || {
                runner.finish(outcome, now.elapsed(), run.longest_poll, &task_secrets)
            });
            runner.complete(&mut result, id, ran_by, span);
        });
        Ticket::Wait(Arc::clone(self), in_flight, secrets.clone())
    }

    /// The `tracing` span of one run: `health_check{check, probe, outcome, latency_ms}`,
    /// a child of the request that started it, so a `tracing-opentelemetry` layer exports
    /// each run as a span of its own. Cheap when no subscriber wants it.
    fn span(&self) -> tracing::Span {
        // When no subscriber takes INFO spans (none is set, or all filter them out), a
        // span would only feed `tracing`'s `log` fallback, at the price of a record on its
        // creation, entry, exit and end in every run.
        if tracing::level_filters::LevelFilter::current() < tracing::Level::INFO {
            return tracing::Span::none();
        }
        tracing::info_span!(
            "health_check",
            check = &*self.name,
            probe = &*self.probes,
            outcome = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    /// The result of a run that ended with `outcome` (or a panic) after `latency`. A run
    /// that returned after its timeout (it blocked its thread, so its timer could not
    /// fire) is reported as timed out, never as what it returned.
    fn finish(
        &self,
        outcome: std::thread::Result<CheckOutcome>,
        latency: Duration,
        longest_poll: Duration,
        secrets: &Secrets,
    ) -> CheckResult {
        if longest_poll >= BLOCKED_THREAD {
            tracing::warn!(
                check = self.check.name(),
                blocked_ms = longest_poll.as_millis() as u64,
                "health check blocked its thread for {}ms: run blocking calls with \
                 tokio::task::spawn_blocking",
                longest_poll.as_millis()
            );
        }
        let outcome = if latency > self.check.timeout {
            timed_out(&self.check)
        } else {
            outcome.unwrap_or_else(|panic| panicked(&self.check, panic.as_ref(), secrets))
        };
        let mut result = result_of(&self.name, &self.check, outcome, latency, secrets);
        if self.reuse.reuses() {
            result.age = Some(Duration::ZERO);
        }
        result
    }

    /// Records the result of run `id` and hands it to whoever waits for it; copies it
    /// only for whoever keeps it. A run already expired at its deadline changes nothing,
    /// and a run never ends the one that replaced it.
    /// The run's `span` gets its outcome and ends before anyone waiting hears the result,
    /// so a trace shows the run inside the request that waited for it.
    fn complete(&self, result: &mut CheckResult, id: u64, ran_by: RanBy, span: tracing::Span) {
        let mut state = self.state();
        if !state.holds(id) {
            // Expired at its deadline by a waiter: its span still tells how it ended.
            drop(state);
            record_in_span(&span, result);
            return;
        }
        let shared = match std::mem::take(&mut state.run) {
            RunState::Shared(shared) => Some(shared),
            _ => None,
        };
        self.settle(state, result, shared.as_deref(), ran_by, Some(span));
    }

    /// Ends `in_flight` at its deadline for a run that has not returned (it blocks its
    /// worker thread, or its task was not yet polled after its timer fired): its waiters
    /// get `Timeout`, and the next request starts a new run instead of joining one that
    /// already timed out.
    fn expire(&self, in_flight: &Arc<InFlight>, secrets: &Secrets) -> CheckResult {
        let mut state = self.state();
        if let Some(result) = in_flight.result.get() {
            return result.clone();
        }
        let mut result = self.timed_out_result(secrets);
        if state.holds(in_flight.id) {
            state.run = RunState::Idle;
        }
        self.settle(state, &mut result, Some(in_flight), in_flight.ran_by, None);
        result
    }

    /// The end of a run, under the runner's lock: `result` recorded, the run's `span`
    /// given its outcome and ended, and `result` handed to whoever waits on `shared`; then,
    /// outside the lock, the history, the hooks and metrics.
    fn settle(
        &self,
        mut state: MutexGuard<'_, RunnerState>,
        result: &mut CheckResult,
        shared: Option<&InFlight>,
        ran_by: RanBy,
        span: Option<tracing::Span>,
    ) {
        let previous = self.record(&mut state, result);
        if let Some(span) = span {
            record_in_span(&span, result);
        }
        if let Some(shared) = shared {
            shared.finish(result.clone());
        }
        drop(state);
        if let Some(history) = &self.history {
            let error = result.error.as_ref();
            let at = result.finished_at;
            history.record(result.status, result.latency, error, ran_by, at);
        }
        self.changed(previous, result);
        #[cfg(feature = "metrics")]
        super::metrics::record(result);
    }

    /// Counts `result` against the check's thresholds, keeps it as the last one (when
    /// results are reused) and logs a change of status; returns the status before.
    fn record(&self, state: &mut RunnerState, result: &mut CheckResult) -> Option<CheckStatus> {
        self.count(state, result);
        let previous = state.last_status;
        log_transition(result, previous);
        state.last_status = Some(result.status);
        if self.reuse.reuses() {
            let finished = Instant::now();
            let fresh_for = if self.reuse.background.is_some() {
                Duration::MAX
            } else {
                let first = state.last.is_none();
                self.reuse
                    .spread
                    .ttl(self.reuse.ttl, first, &mut state.random)
            };
            state.last = Some(Completed {
                result: result.clone(),
                finished,
                fresh_for,
            });
            let until = if fresh_for == Duration::MAX {
                u64::MAX
            } else {
                clock(finished)
                    .saturating_add(u64::try_from(fresh_for.as_nanos()).unwrap_or(u64::MAX))
            };
            self.fresh_until.store(until, Ordering::Release);
            self.recorded.fetch_add(1, Ordering::Release);
        }
        previous
    }

    /// Flap damping: a check with thresholds changes its counted status only after
    /// `failures` consecutive failed runs, or `successes` consecutive good ones; the
    /// result keeps the raw status and the streaks. The first result counts at once.
    fn count(&self, state: &mut RunnerState, result: &mut CheckResult) {
        let (failures, successes) = (self.check.failures, self.check.successes);
        if failures <= 1 && successes <= 1 {
            return;
        }
        let raw = result.status;
        let streak = &mut state.streak;
        if raw == CheckStatus::Unhealthy {
            streak.failures = streak.failures.saturating_add(1);
            streak.successes = 0;
        } else {
            streak.successes = streak.successes.saturating_add(1);
            streak.failures = 0;
        }
        let counted = match state.last_status {
            Some(CheckStatus::Unhealthy)
                if raw != CheckStatus::Unhealthy && streak.successes < successes =>
            {
                result.error = Some(Arc::from(format!(
                    "recovering: {} of {successes} consecutive successes",
                    streak.successes
                )));
                CheckStatus::Unhealthy
            }
            Some(before)
                if before != CheckStatus::Unhealthy
                    && raw == CheckStatus::Unhealthy
                    && streak.failures < failures =>
            {
                before
            }
            _ => raw,
        };
        result.status = counted;
        result.counted = Some(Counted {
            last: raw,
            consecutive_failures: streak.failures,
            consecutive_successes: streak.successes,
        });
    }

    /// Calls the status-change hooks, outside the runner's lock, when `result` changed
    /// the check's status.
    fn changed(&self, previous: Option<CheckStatus>, result: &CheckResult) {
        if previous != Some(result.status) {
            self.hooks
                .check_changed(&self.name, previous, result.status, result.error());
        }
    }

    /// The result reported when a run missed its deadline without finishing, as a run
    /// that blocks its worker thread does.
    fn timed_out_result(&self, secrets: &Secrets) -> CheckResult {
        self.finish(
            Ok(timed_out(&self.check)),
            self.check.timeout,
            Duration::ZERO,
            secrets,
        )
    }
}

impl Ticket {
    /// The result, waiting for the run in flight at most until its deadline: a run that
    /// blocks its worker thread and so misses its own timer still cannot hang a request.
    pub(crate) async fn result(self) -> CheckResult {
        match self {
            Ticket::Ready(result) => result,
            Ticket::Wait(runner, in_flight, secrets) => match in_flight.wait().await {
                Some(result) => result,
                None => runner.expire(&in_flight, &secrets),
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

/// Runs `f` in `span`, entering it only when a subscriber wants it: a disabled span
/// still costs `tracing`'s `log` fallback on every entry and exit.
fn in_span<R>(span: &tracing::Span, f: impl FnOnce() -> R) -> R {
    if span.is_disabled() {
        f()
    } else {
        span.in_scope(f)
    }
}

fn record_in_span(span: &tracing::Span, result: &CheckResult) {
    if span.is_disabled() {
        return;
    }
    span.record("outcome", result.status.as_str());
    span.record("latency_ms", result.latency.as_secs_f64() * 1000.0);
}

fn log_transition(result: &CheckResult, previous: Option<CheckStatus>) {
    if previous == Some(result.status) {
        return;
    }
    let name = result.name();
    let from = previous.map_or("unknown", CheckStatus::as_str);
    let to = result.status.as_str();
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

fn result_of(
    name: &Arc<str>,
    check: &Check,
    outcome: CheckOutcome,
    latency: Duration,
    secrets: &Secrets,
) -> CheckResult {
    let (status, message, details) = outcome.into_parts();
    CheckResult {
        name: Arc::clone(name),
        status,
        latency,
        error: message.map(|message| Arc::from(public_error(&message, secrets))),
        critical: check.critical,
        details: if details.is_empty() {
            Arc::clone(no_details())
        } else {
            Arc::new(public_details(details, secrets))
        },
        age: None,
        finished_at: SystemTime::now(),
        counted: None,
    }
}

/// One shared empty details map, so that results without details allocate none.
fn no_details() -> &'static Arc<serde_json::Map<String, serde_json::Value>> {
    static EMPTY: OnceLock<Arc<serde_json::Map<String, serde_json::Value>>> = OnceLock::new();
    EMPTY.get_or_init(Default::default)
}

fn timed_out(check: &Check) -> CheckOutcome {
    CheckOutcome::unhealthy(format!("Timeout after {}ms", check.timeout.as_millis()))
}

fn panicked(check: &Check, payload: &(dyn Any + Send), secrets: &Secrets) -> CheckOutcome {
    let reason = public_error(payload_text(payload), secrets);
    tracing::error!(check = check.name(), panic = %reason, "health check panicked");
    CheckOutcome::unhealthy(format!("check panicked: {reason}"))
}
