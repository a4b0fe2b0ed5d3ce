//! The connection table: every open connection with its permit under the cap, what it
//! is doing and when it last did anything; eviction of the idlest connection at the cap,
//! and the periodic sweep that closes idle ones.
//!
//! A connection's activity costs a request a few atomic operations and no clock read: the
//! sweep keeps a coarse clock (milliseconds since the server started, advanced on each
//! sweep) that requests stamp their end with, and compares the stamps against it, so that
//! no connection resets a timer of its own per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::sync::Semaphore;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::counters::{Event, ServeCounters};

/// What every connection is served with.
#[derive(Clone, Copy, Debug)]
pub(super) struct Settings {
    pub(super) header_read_timeout: Duration,
    pub(super) idle_timeout: Duration,
}

/// Beyond this, a cap is no cap (and the semaphore's permits stay in range).
pub(super) const MAX_CONNECTIONS: usize = 1 << 24;

/// Three quarters of the `RLIMIT_NOFILE` soft limit.
pub(super) fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit(2) writes into the struct it is given, nothing else.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            // `rlim_t` is not `u64` everywhere.
            #[allow(clippy::unnecessary_cast)]
            let soft = if limit.rlim_cur == libc::RLIM_INFINITY {
                MAX_CONNECTIONS as u64
            } else {
                (limit.rlim_cur as u64).min(MAX_CONNECTIONS as u64)
            };
            return ((soft as usize) * 3 / 4).max(1);
        }
    }
    768
}

/// The open connections: their permits under the cap, what each is doing, and the
/// coarse clock their activity is stamped with.
pub(super) struct Connections {
    pub(super) permits: Arc<Semaphore>,
    pub(super) cap: usize,
    pub(super) table: Mutex<HashMap<u64, Arc<Conn>>>,
    pub(super) next: AtomicU64,
    pub(super) clock: Arc<Clock>,
    /// Milliseconds after the clock's epoch of the last accept-error warning; 0 before any.
    pub(super) last_accept_warning: AtomicU64,
    pub(super) counters: ServeCounters,
}

impl Connections {
    pub(super) fn new(cap: usize, counters: ServeCounters) -> Connections {
        Connections {
            permits: Arc::new(Semaphore::new(cap)),
            cap,
            table: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            clock: Arc::new(Clock::new()),
            last_accept_warning: AtomicU64::new(0),
            counters,
        }
    }

    pub(super) fn table(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.table
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(super) fn count(&self, event: Event) {
        self.counters.count(event);
    }

    pub(super) fn open(&self) -> usize {
        self.table().len()
    }

    /// Asks the connection idle the longest (no request in flight) to close; `false`
    /// when every connection is busy.
    pub(super) fn evict_one(&self) -> bool {
        self.clock.advance();
        let table = self.table();
        let idlest = table
            .values()
            .filter(|conn| conn.in_flight.load(Ordering::Acquire) == 0)
            .filter(|conn| conn.signals.load(Ordering::Acquire) & EVICT == 0)
            .min_by_key(|conn| conn.last_active.load(Ordering::Acquire));
        match idlest {
            Some(conn) => {
                conn.signal(EVICT);
                true
            }
            None => false,
        }
    }

    /// Advances the clock and asks every connection that has waited for a request's
    /// headers longer than the header-read timeout, or the idle timeout, to close. A
    /// connection without a request in flight is waiting for the next request's headers
    /// (hyper calls the router as soon as they are read), since it opened or since its
    /// last response was sent; the shorter timeout is the one that ends the wait.
    pub(super) fn sweep(&self, settings: Settings) {
        let now = self.clock.advance();
        let millis = |timeout: Duration| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let (limit, signal) = if settings.header_read_timeout <= settings.idle_timeout {
            (millis(settings.header_read_timeout), HEADER)
        } else {
            (millis(settings.idle_timeout), IDLE)
        };
        for conn in self.table().values() {
            if conn.in_flight.load(Ordering::Acquire) == 0
                && now.saturating_sub(conn.last_active.load(Ordering::Acquire)) >= limit
            {
                conn.signal(signal);
            }
        }
    }

    /// Sweeps (see [`Connections::sweep`]) every quarter of the shorter timeout, between
    /// 5 ms and 1 s, for as long as it is polled: a connection is closed within that
    /// after its timeout.
    pub(super) async fn sweep_every(&self, settings: Settings) {
        let shorter = settings.header_read_timeout.min(settings.idle_timeout);
        let period = (shorter / 4).clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.sweep(settings);
        }
    }

    /// Turns every open connection to graceful shutdown: it ends after the response in
    /// flight, or at once when idle.
    pub(super) fn close_all_gracefully(&self) {
        for conn in self.table().values() {
            conn.signal(GRACEFUL);
        }
    }

    /// Resolves once every connection is closed.
    pub(super) async fn all_closed(&self) {
        let all = u32::try_from(self.cap).unwrap_or(u32::MAX);
        let _ = self.permits.acquire_many(all).await;
    }

    pub(super) fn abort_all(&self) {
        for conn in self.table().values() {
            if let Some(task) = conn.task() {
                task.abort();
            }
        }
    }
}

/// Milliseconds since the server started, as of the last sweep: what a request's end is
/// stamped with, read without asking the system.
pub(super) struct Clock {
    epoch: Instant,
    millis: AtomicU64,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            epoch: Instant::now(),
            millis: AtomicU64::new(0),
        }
    }

    /// Reads the system clock into the coarse one, and returns it.
    pub(super) fn advance(&self) -> u64 {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_max(now, Ordering::AcqRel).max(now)
    }

    /// The coarse clock: milliseconds as of the last sweep.
    pub(super) fn now(&self) -> u64 {
        self.millis.load(Ordering::Acquire)
    }
}

/// Signals to a connection, set by the sweep, the accept loop and the shutdown, read by
/// the connection's task on its next poll.
pub(super) const IDLE: u8 = 1;
pub(super) const EVICT: u8 = 2;
pub(super) const GRACEFUL: u8 = 4;
pub(super) const HEADER: u8 = 8;
/// The signals that close a connection without a request in flight.
pub(super) const CLOSE_IDLE: u8 = IDLE | EVICT | HEADER;

/// One connection: requests in flight, when the last one ended, and the signals for its
/// task.
pub(super) struct Conn {
    pub(super) clock: Arc<Clock>,
    pub(super) in_flight: AtomicUsize,
    /// The coarse clock when the last request ended (or the connection opened).
    pub(super) last_active: AtomicU64,
    pub(super) signals: AtomicU8,
    /// The connection's task, woken by a signal.
    pub(super) waker: AtomicWaker,
    pub(super) task: Mutex<Option<AbortHandle>>,
}

impl Conn {
    /// A connection opened now.
    pub(super) fn new(clock: &Arc<Clock>) -> Arc<Conn> {
        Arc::new(Conn {
            clock: Arc::clone(clock),
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(clock.advance()),
            signals: AtomicU8::new(0),
            waker: AtomicWaker::new(),
            task: Mutex::new(None),
        })
    }

    pub(super) fn signal(&self, signal: u8) {
        self.signals.fetch_or(signal, Ordering::AcqRel);
        self.waker.wake();
    }

    pub(super) fn task(&self) -> Option<AbortHandle> {
        self.task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}
