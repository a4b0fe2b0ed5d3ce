//! Liveness primitives for the states a restart would fix: a worker that stopped making
//! progress ([`Heartbeat`]) and a tokio runtime that stopped scheduling ([`RuntimeWatchdog`]).
//!
//! Liveness runs no dependency check by default, since restarting a pod never fixes a
//! database outage; these are what belongs there instead.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::check::{Check, CheckOutcome};
use health_rules::Probe;

/// Milliseconds since a fixed origin, stored atomically.
#[derive(Debug)]
struct Clock {
    origin: Instant,
    last_ms: AtomicU64,
}

impl Clock {
    fn new() -> Self {
        Clock {
            origin: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn mark(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Release);
    }

    fn since_mark(&self) -> Duration {
        let last = self.last_ms.load(Ordering::Acquire);
        Duration::from_millis(self.now_ms().saturating_sub(last))
    }
}

/// A heartbeat a background worker beats; its liveness check fails when the last beat is
/// older than `max_age`, so a wedged worker gets the pod restarted.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Health;
/// use health_runtime::checks::liveness::Heartbeat;
///
/// let heartbeat = Heartbeat::new("queue_worker", Duration::from_secs(30));
/// let health = Health::builder().check(heartbeat.check()).build().unwrap();
///
/// let worker_beat = heartbeat.clone();
/// # async fn next_job() {}
/// # let _ = async move {
/// loop {
///     next_job().await;
///     worker_beat.beat();
/// }
/// # };
/// # let _ = health;
/// ```
#[derive(Debug, Clone)]
pub struct Heartbeat {
    inner: Arc<HeartbeatInner>,
}

#[derive(Debug)]
struct HeartbeatInner {
    name: Cow<'static, str>,
    max_age: Duration,
    clock: Clock,
}

impl Heartbeat {
    /// A heartbeat that counts as beaten now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::Heartbeat;
    ///
    /// let heartbeat = Heartbeat::new("queue_worker", Duration::from_secs(30));
    /// assert!(heartbeat.age() < Duration::from_secs(1));
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>, max_age: Duration) -> Self {
        Heartbeat {
            inner: Arc::new(HeartbeatInner {
                name: name.into(),
                max_age,
                clock: Clock::new(),
            }),
        }
    }

    /// Records progress: the check is healthy for `max_age` from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::Heartbeat;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let heartbeat = Heartbeat::new("queue_worker", Duration::from_secs(30));
    /// tokio::time::sleep(Duration::from_secs(10)).await;
    /// heartbeat.beat();
    /// assert!(heartbeat.age() < Duration::from_secs(1));
    /// # }
    /// ```
    pub fn beat(&self) {
        self.inner.clock.mark();
    }

    /// The time since the last beat, reported as the check's `age_ms` detail.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::Heartbeat;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let heartbeat = Heartbeat::new("queue_worker", Duration::from_secs(30));
    /// tokio::time::sleep(Duration::from_secs(10)).await;
    /// assert!(heartbeat.age() >= Duration::from_secs(10));
    /// # }
    /// ```
    pub fn age(&self) -> Duration {
        self.inner.clock.since_mark()
    }

    /// A critical liveness check named after the heartbeat.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::Heartbeat;
    ///
    /// let check = Heartbeat::new("queue_worker", Duration::from_secs(30)).check();
    /// assert_eq!(check.name(), "queue_worker");
    /// ```
    pub fn check(&self) -> Check {
        let heartbeat = self.clone();
        Check::new(self.inner.name.clone(), move || {
            let heartbeat = heartbeat.clone();
            async move { heartbeat.outcome() }
        })
        .probes(Probe::Liveness)
    }

    fn outcome(&self) -> CheckOutcome {
        let age = self.age();
        let outcome = if age > self.inner.max_age {
            CheckOutcome::unhealthy(format!(
                "no heartbeat for {} ms (limit {} ms)",
                age.as_millis(),
                self.inner.max_age.as_millis()
            ))
        } else {
            CheckOutcome::healthy()
        };
        outcome.with_detail("age_ms", age.as_millis() as u64)
    }
}

/// Measures how late the tokio runtime wakes a task; its liveness check fails when that
/// scheduling lag exceeds `max_lag`, as it does when tasks block the worker threads.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Health;
/// use health_runtime::checks::liveness::RuntimeWatchdog;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let watchdog = RuntimeWatchdog::start(Duration::from_secs(2));
/// let health = Health::builder().check(watchdog.check()).build().unwrap();
/// # let _ = health;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeWatchdog {
    inner: Arc<WatchdogInner>,
}

#[derive(Debug)]
struct WatchdogInner {
    max_lag: Duration,
    interval: Duration,
    /// When the ticker last ran.
    tick: Clock,
    /// The lag measured on the last tick, in milliseconds.
    last_lag_ms: AtomicU64,
}

impl RuntimeWatchdog {
    /// Starts the ticker task on the current tokio runtime. It stops when every handle to
    /// the watchdog is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::RuntimeWatchdog;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let watchdog = RuntimeWatchdog::start(Duration::from_secs(2));
    /// assert!(watchdog.lag() < Duration::from_secs(2));
    /// # }
    /// ```
    pub fn start(max_lag: Duration) -> Self {
        let interval = (max_lag / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let inner = Arc::new(WatchdogInner {
            max_lag,
            interval,
            tick: Clock::new(),
            last_lag_ms: AtomicU64::new(0),
        });
        tokio::spawn(tick(Arc::downgrade(&inner), interval));
        RuntimeWatchdog { inner }
    }

    /// The scheduling lag: the larger of the last measured lag and how overdue the next
    /// tick is.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::RuntimeWatchdog;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let watchdog = RuntimeWatchdog::start(Duration::from_millis(200));
    /// // A task that blocks the only worker thread delays the watchdog's ticker.
    /// std::thread::sleep(Duration::from_millis(500));
    /// assert!(watchdog.lag() >= Duration::from_millis(200));
    /// # }
    /// ```
    pub fn lag(&self) -> Duration {
        let measured = Duration::from_millis(self.inner.last_lag_ms.load(Ordering::Acquire));
        let overdue = self
            .inner
            .tick
            .since_mark()
            .saturating_sub(self.inner.interval);
        measured.max(overdue)
    }

    /// A critical liveness check named `runtime`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::liveness::RuntimeWatchdog;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let check = RuntimeWatchdog::start(Duration::from_secs(2)).check();
    /// assert_eq!(check.name(), "runtime");
    /// # }
    /// ```
    pub fn check(&self) -> Check {
        let watchdog = self.clone();
        Check::new("runtime", move || {
            let watchdog = watchdog.clone();
            async move { watchdog.outcome() }
        })
        .probes(Probe::Liveness)
    }

    fn outcome(&self) -> CheckOutcome {
        let lag = self.lag();
        let outcome = if lag > self.inner.max_lag {
            CheckOutcome::unhealthy(format!(
                "tokio runtime stalled: scheduling lag {} ms (limit {} ms)",
                lag.as_millis(),
                self.inner.max_lag.as_millis()
            ))
        } else {
            CheckOutcome::healthy()
        };
        outcome.with_detail("lag_ms", lag.as_millis() as u64)
    }
}

async fn tick(watchdog: Weak<WatchdogInner>, interval: Duration) {
    loop {
        let expected = Instant::now() + interval;
        tokio::time::sleep_until(expected).await;
        let lag = Instant::now().saturating_duration_since(expected);
        let Some(watchdog) = watchdog.upgrade() else {
            return;
        };
        let lag_ms = u64::try_from(lag.as_millis()).unwrap_or(u64::MAX);
        watchdog.last_lag_ms.store(lag_ms, Ordering::Release);
        watchdog.tick.mark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn heartbeat_goes_stale_after_max_age() {
        let heartbeat = Heartbeat::new("worker", Duration::from_secs(10));
        assert!(heartbeat.outcome().message().is_none());
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(
            heartbeat.outcome().message(),
            Some("no heartbeat for 11000 ms (limit 10000 ms)")
        );
        heartbeat.beat();
        assert!(heartbeat.outcome().message().is_none());
    }

    #[test]
    fn watchdog_reports_a_blocked_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let watchdog = RuntimeWatchdog::start(Duration::from_millis(100));
            tokio::time::sleep(Duration::from_millis(60)).await;
            assert!(
                watchdog.outcome().message().is_none(),
                "{:?}",
                watchdog.outcome()
            );
            // Blocking the only worker keeps the ticker from running.
            std::thread::sleep(Duration::from_millis(400));
            let outcome = watchdog.outcome();
            let message = outcome.message().expect("stalled runtime is unhealthy");
            assert!(message.starts_with("tokio runtime stalled"), "{message}");
        });
    }
}
