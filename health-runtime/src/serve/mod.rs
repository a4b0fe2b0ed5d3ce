//! The application's server: hyper's HTTP/1 server for an axum [`Router`] under hostile
//! clients and through its shutdown, with a header-read timeout, an idle keep-alive
//! timeout and a connection cap, and a shutdown that always ends (drain delay, shutdown
//! guards and in-flight requests, all within one bound; a second signal ends it at once).
//!
//! [`serve()`] starts one; [`Serve`] configures it. The code is split by concept: the
//! shutdown sequence, the connection table (the cap, eviction, each connection's life),
//! the accept loop and the activity tracking that tells idle connections from busy ones.
//!
//! It sits above [`Health`]: it reads the handle's lifecycle (signals, shutdown) and its
//! shutdown guards, and nothing below it knows it exists.

mod accept;
mod activity;
mod connection;
mod connections;
mod counters;
mod shutdown;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::health::Health;
use crate::probe::{Beacons, HealthState};
use connections::{MAX_CONNECTIONS, Settings, default_max_connections};
pub use counters::ServeCounters;

/// The default [`Serve::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`Serve::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// The default [`Serve::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

/// Serves `router` on `listener` until `health` shuts down, with the timeouts, the
/// connection cap and the shutdown bound of [`Serve`]: on SIGTERM or ctrl-c, readiness
/// answers 503 at once, the drain delay passes, then the held
/// [`Health::hold_shutdown`] guards and the requests in flight get at most the shutdown
/// timeout (default 25 s) before it returns; a second signal returns at once.
///
/// ```no_run
/// use health_runtime::{Health, health_routes};
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let health = Health::new();
///     let app = axum::Router::new().merge(health_routes!(health));
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
///     health_runtime::serve(listener, app, &health).await
/// }
/// ```
pub fn serve(listener: TcpListener, router: Router, health: &Health) -> Serve {
    let health = ServeHealth {
        state: Arc::clone(health.state()),
        drain_delay: health.drain_delay(),
        beacons: Arc::clone(health.beacons()),
    };
    Serve::new(listener, router, health)
}

/// What `serve` needs of the `Health` handle: its lifecycle, drain delay and beacons.
#[derive(Clone)]
pub(crate) struct ServeHealth {
    pub(crate) state: Arc<HealthState>,
    pub(crate) drain_delay: Duration,
    pub(crate) beacons: Arc<Beacons>,
}

/// A server for an axum [`Router`] and the health of the service it serves, made by
/// [`health_runtime::serve`](crate::serve()); `.await` it to serve until shutdown ends.
///
/// - every connection has [`header_read_timeout`](Serve::header_read_timeout) (default
///   30 s) to send a request's headers, counted from when the server waits for them, so a
///   client that trickles a request (slowloris) is cut off;
/// - a connection without a request in flight for
///   [`idle_timeout`](Serve::idle_timeout) (default 20 s) is closed;
/// - what it did with its connections is counted ([`Serve::counters`]): accepted, open,
///   closed for each timeout or to make room, and failed accepts;
/// - at most [`max_connections`](Serve::max_connections) are open (default three quarters
///   of the `RLIMIT_NOFILE` soft limit): at the cap, the connection idle the longest is
///   closed to make room, and while every one has a request in flight new ones wait in the
///   listen queue. Accept errors (`EMFILE`...) are logged and retried, never fatal;
/// - on SIGTERM or ctrl-c (or [`Health::begin_shutdown`](crate::Health::begin_shutdown))
///   readiness answers 503 `shutting_down` at once, the drain delay passes while the
///   server keeps serving, then it waits for the held
///   [`Health::hold_shutdown`](crate::Health::hold_shutdown) guards and the requests in
///   flight, at most [`shutdown_timeout`](Serve::shutdown_timeout) (default 25 s) in all,
///   closes what is left and returns: the process exits within the drain delay plus the
///   shutdown timeout. A second signal meanwhile returns at once.
///
/// ```no_run
/// use std::time::Duration;
/// use health_runtime::{Health, health_routes};
///
/// # async fn run() -> std::io::Result<()> {
/// let health = Health::new();
/// let app = axum::Router::new().merge(health_routes!(health));
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
/// health_runtime::serve(listener, app, &health)
///     .header_read_timeout(Duration::from_secs(10))
///     .idle_timeout(Duration::from_secs(60))
///     .shutdown_timeout(Duration::from_secs(15))
///     .await
/// # }
/// ```
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    health: ServeHealth,
    settings: Settings,
    max_connections: usize,
    shutdown_timeout: Duration,
    counters: ServeCounters,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("header_read_timeout", &self.settings.header_read_timeout)
            .field("idle_timeout", &self.settings.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("drain_delay", &self.health.drain_delay)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl Serve {
    fn new(listener: TcpListener, router: Router, health: ServeHealth) -> Serve {
        // Counted from `serve(...)` on, when called inside a runtime, so that a signal
        // between then and the first poll is not lost.
        health.state.lifecycle.listen();
        Serve {
            listener,
            router,
            health,
            settings: Settings {
                header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
            },
            max_connections: default_max_connections(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            counters: ServeCounters::default(),
        }
    }

    /// How long a client has to send a request's headers, from when the server starts
    /// waiting for them (the connection opened, or the previous response was sent);
    /// then the connection is closed. Default 30 s. Since it runs while a keep-alive
    /// connection waits for its next request, it bounds idle time too.
    ///
    /// Both timeouts are enforced by one sweep of the connections every quarter of the
    /// shorter one (between 5 ms and 1 s), so a connection is closed within that after
    /// its timeout; a request costs no timer of its own.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may stay without a request in flight before it is closed:
    /// from when it opened, or its last response was sent. Default 20 s.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The most connections open at once (at least 1). Default: three quarters of the
    /// process's `RLIMIT_NOFILE` soft limit, leaving the rest to the application's own
    /// files and clients.
    ///
    /// ```
    /// # async fn run() -> std::io::Result<()> {
    /// let health = health_runtime::Health::new();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = health_runtime::serve(listener, health.router(), &health).max_connections(512);
    /// assert_eq!(server.connection_limit(), 512);
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.clamp(1, MAX_CONNECTIONS);
        self
    }

    /// The most connections open at once, as [`Serve::max_connections`] set it.
    pub fn connection_limit(&self) -> usize {
        self.max_connections
    }

    /// The bound on shutdown after the drain delay: how long the server waits for the
    /// held shutdown guards and the requests in flight before it closes what is left and
    /// returns. Default 25 s: with the default 5 s drain delay, Kubernetes' default 30 s
    /// termination grace period, which is what the `deploy` generator budgets
    /// (`DeployConfig::shutdown_timeout`).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The server's counts of connections accepted, open and closed, and of why it closed
    /// them: read them while it serves (a handle, shared by every clone).
    pub fn counters(&self) -> ServeCounters {
        self.counters.clone()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(shutdown::run(self))
    }
}
