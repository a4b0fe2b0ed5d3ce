//! The connection table: every open connection with its permit under the cap, what it
//! is doing and when it last did anything, and eviction of the idlest connection at the
//! cap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

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
/// signal that turns them all to graceful shutdown.
pub(super) struct Connections {
    pub(super) epoch: Instant,
    pub(super) permits: Arc<Semaphore>,
    pub(super) cap: usize,
    pub(super) table: Mutex<HashMap<u64, Arc<Conn>>>,
    pub(super) next: AtomicU64,
    pub(super) closing: watch::Sender<bool>,
    /// Milliseconds after `epoch` of the last accept-error warning; 0 before any.
    pub(super) last_accept_warning: AtomicU64,
}

impl Connections {
    pub(super) fn new(cap: usize) -> Connections {
        Connections {
            epoch: Instant::now(),
            permits: Arc::new(Semaphore::new(cap)),
            cap,
            table: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            closing: watch::channel(false).0,
            last_accept_warning: AtomicU64::new(0),
        }
    }

    pub(super) fn table(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.table
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(super) fn open(&self) -> usize {
        self.table().len()
    }

    /// Asks the connection idle the longest (no request in flight) to close; `false`
    /// when every connection is busy.
    pub(super) fn evict_one(&self) -> bool {
        let table = self.table();
        let idlest = table
            .values()
            .filter(|conn| conn.in_flight.load(Ordering::Acquire) == 0)
            .filter(|conn| !conn.evicting.load(Ordering::Acquire))
            .min_by_key(|conn| conn.last_active.load(Ordering::Acquire));
        match idlest {
            Some(conn) => {
                conn.evicting.store(true, Ordering::Release);
                conn.evict.notify_one();
                true
            }
            None => false,
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

/// One connection: requests in flight and when it last did anything.
pub(super) struct Conn {
    pub(super) epoch: Instant,
    pub(super) in_flight: AtomicUsize,
    /// Milliseconds after `epoch`.
    pub(super) last_active: AtomicU64,
    pub(super) evicting: AtomicBool,
    pub(super) evict: Notify,
    pub(super) task: Mutex<Option<AbortHandle>>,
}

impl Conn {
    /// A connection opened now.
    pub(super) fn new(epoch: Instant) -> Arc<Conn> {
        let conn = Conn {
            epoch,
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(0),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
            task: Mutex::new(None),
        };
        conn.touch();
        Arc::new(conn)
    }

    pub(super) fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_active.store(now, Ordering::Release);
    }

    pub(super) fn idle_since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_active.load(Ordering::Acquire))
    }

    pub(super) fn task(&self) -> Option<AbortHandle> {
        self.task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}
