//! What a server did with its connections, counted as it happens, for diagnosis: a client
//! that saw a connection closed under it can tell from these which limit closed it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of what one [`Serve`](super::Serve) did with its connections since it started,
/// read lock-free while it serves: how many it accepted, how many are open, and why the
/// ones it closed itself were closed. Get it with [`Serve::counters`](super::Serve::counters)
/// before awaiting the server; every clone reads the same counts.
///
/// A connection the client closed, or that ended with an I/O error, counts only in
/// [`closed`](ServeCounters::closed).
///
/// ```
/// # async fn run() -> std::io::Result<()> {
/// let health = health_runtime::Health::new();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let server = health_runtime::serve(listener, health.router(), &health);
/// let counters = server.counters();
/// tokio::spawn(server.into_future());
/// assert_eq!(counters.accepted(), 0);
/// assert_eq!(counters.idle_timeouts() + counters.header_timeouts(), 0);
/// # Ok(())
/// # }
/// # use std::future::IntoFuture;
/// ```
#[derive(Clone, Debug, Default)]
pub struct ServeCounters(Arc<Tally>);

#[derive(Debug, Default)]
struct Tally {
    accepted: AtomicU64,
    closed: AtomicU64,
    idle_timeouts: AtomicU64,
    header_timeouts: AtomicU64,
    evicted: AtomicU64,
    accept_errors: AtomicU64,
}

impl ServeCounters {
    /// Connections accepted.
    pub fn accepted(&self) -> u64 {
        self.0.accepted.load(Ordering::Relaxed)
    }

    /// Connections ended, whatever ended them.
    pub fn closed(&self) -> u64 {
        self.0.closed.load(Ordering::Relaxed)
    }

    /// Connections open now: accepted and not yet ended.
    pub fn open(&self) -> u64 {
        self.accepted().saturating_sub(self.closed())
    }

    /// Connections closed after [`Serve::idle_timeout`](super::Serve::idle_timeout)
    /// without a request in flight.
    pub fn idle_timeouts(&self) -> u64 {
        self.0.idle_timeouts.load(Ordering::Relaxed)
    }

    /// Connections closed because a request's headers did not arrive within
    /// [`Serve::header_read_timeout`](super::Serve::header_read_timeout), including a
    /// keep-alive connection that sent no next request within it.
    pub fn header_timeouts(&self) -> u64 {
        self.0.header_timeouts.load(Ordering::Relaxed)
    }

    /// Idle connections closed at the connection cap to make room for a new one (or to
    /// free descriptors when accepting failed for want of them).
    pub fn evicted(&self) -> u64 {
        self.0.evicted.load(Ordering::Relaxed)
    }

    /// Failed accepts (`EMFILE`, `ENFILE`, `ENOBUFS`...), each retried; a connection reset
    /// before it was accepted is not counted.
    pub fn accept_errors(&self) -> u64 {
        self.0.accept_errors.load(Ordering::Relaxed)
    }

    pub(super) fn count(&self, event: Event) {
        let counter = match event {
            Event::Accepted => &self.0.accepted,
            Event::Closed => &self.0.closed,
            Event::IdleTimeout => &self.0.idle_timeouts,
            Event::HeaderTimeout => &self.0.header_timeouts,
            Event::Evicted => &self.0.evicted,
            Event::AcceptError => &self.0.accept_errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What [`ServeCounters`] counts.
#[derive(Clone, Copy, Debug)]
pub(super) enum Event {
    Accepted,
    Closed,
    IdleTimeout,
    HeaderTimeout,
    Evicted,
    AcceptError,
}
