//! The connection table: every open connection with its permit under the cap, what it
//! is doing and when it last did anything; eviction of the idlest connection at the cap;
//! and each connection's life (idle timeout, eviction, graceful close on shutdown).

use std::collections::HashMap;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::activity::{ConnService, Tracked};

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

/// Removes a connection from the table when its task ends, however it ends.
pub(super) struct Registered {
    conns: Arc<Connections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.conns.table().remove(&self.id);
    }
}

pub(super) async fn serve_connection(
    stream: TcpStream,
    router: Router,
    conn: Arc<Conn>,
    conns: Arc<Connections>,
    settings: Settings,
    _permit: OwnedSemaphorePermit,
    id: u64,
) {
    let _registered = Registered {
        conns: Arc::clone(&conns),
        id,
    };
    let io = TokioIo::new(Tracked {
        stream,
        conn: Arc::clone(&conn),
    });
    let service = ConnService {
        router,
        conn: Arc::clone(&conn),
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let mut connection = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut closing = conns.closing.subscribe();
    let mut graceful = false;
    loop {
        let check_idle_at = if conn.in_flight.load(Ordering::Acquire) == 0 {
            conn.idle_since() + settings.idle_timeout
        } else {
            Instant::now() + settings.idle_timeout
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended");
                }
                return;
            }
            _ = closing.wait_for(|closing| *closing), if !graceful => {
                graceful = true;
                connection.as_mut().graceful_shutdown();
            }
            () = conn.evict.notified() => {
                if conn.in_flight.load(Ordering::Acquire) == 0 {
                    tracing::debug!("closing the idlest connection to make room for a new one");
                    return;
                }
                conn.evicting.store(false, Ordering::Release);
            }
            () = tokio::time::sleep_until(check_idle_at) => {
                if conn.in_flight.load(Ordering::Acquire) == 0
                    && conn.idle_since().elapsed() >= settings.idle_timeout
                {
                    tracing::debug!("closing a connection idle for {:?}", settings.idle_timeout);
                    return;
                }
            }
        }
    }
}
