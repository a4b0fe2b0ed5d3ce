//! Serving an application under hostile clients and through its shutdown: hyper's HTTP/1
//! server with a header-read timeout, an idle keep-alive timeout and a connection cap, and
//! a shutdown that always ends (drain delay, shutdown beacons and in-flight requests, all
//! within one bound; a second signal ends it at once).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::probe::{Beacons, HealthState};

/// The default [`Serve::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`Serve::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// The default [`Serve::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

/// What `serve` needs of the `Health` handle: its lifecycle, drain delay and beacons.
#[derive(Clone)]
pub(crate) struct ServeHealth {
    pub(crate) state: Arc<HealthState>,
    pub(crate) drain_delay: Duration,
    pub(crate) beacons: Arc<Beacons>,
}

/// A server for an axum [`Router`] and the health of the service it serves, made by
/// [`health_runtime::serve`](crate::serve); `.await` it to serve until shutdown ends.
///
/// - every connection has [`header_read_timeout`](Serve::header_read_timeout) (default
///   30 s) to send a request's headers, counted from when the server waits for them, so a
///   client that trickles a request (slowloris) is cut off;
/// - a connection without a request in flight for
///   [`idle_timeout`](Serve::idle_timeout) (default 20 s) is closed;
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

#[derive(Clone, Copy, Debug)]
struct Settings {
    header_read_timeout: Duration,
    idle_timeout: Duration,
}

impl Serve {
    pub(crate) fn new(listener: TcpListener, router: Router, health: ServeHealth) -> Serve {
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
        }
    }

    /// How long a client has to send a request's headers, from when the server starts
    /// waiting for them (the connection opened, or the previous response was sent);
    /// then the connection is closed. Default 30 s. Since it runs while a keep-alive
    /// connection waits for its next request, it bounds idle time too.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may stay without a request in flight and without receiving
    /// a byte before it is closed. Default 20 s.
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

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            router,
            health,
            settings,
            max_connections,
            shutdown_timeout,
        } = self;
        let lifecycle = &health.state.lifecycle;
        lifecycle.listen();
        let conns = Arc::new(Connections::new(max_connections));
        // Owns the listener: dropping it stops accepting and closes the socket.
        let mut accepting = Box::pin(accept_loop(listener, Arc::clone(&conns), settings, router));

        // A termination signal, or the application (or another listener of the same
        // signal, a gRPC server's `shutdown_signal()`) beginning the shutdown. Every
        // listener reads the one count of signals, so only a signal after those received
        // so far is a second one, which exits at once.
        tokio::select! {
            biased;
            () = lifecycle.signalled(1) => {}
            () = &mut accepting => {}
            () = lifecycle.shutdown_began() => {}
        }
        let second = lifecycle.signals_received().max(1) + 1;
        if lifecycle.begin_shutdown() {
            tracing::info!("shutdown began; readiness now reports shutting_down");
        }
        tracing::info!(
            drain_delay = ?health.drain_delay,
            shutdown_timeout = ?shutdown_timeout,
            "draining before the server stops"
        );
        tokio::select! {
            () = &mut accepting => {}
            () = tokio::time::sleep(health.drain_delay) => {}
            () = lifecycle.signalled(second) => return exit_at_once(&conns),
        }

        let mut bound = pin!(tokio::time::sleep(shutdown_timeout));
        let held = health.beacons.held();
        if !held.is_empty() {
            tracing::info!(?held, "waiting for the shutdown guards still held");
        }
        tokio::select! {
            () = &mut accepting => {}
            () = health.beacons.released() => {}
            () = &mut bound => {
                tracing::warn!(
                    held = ?health.beacons.held(),
                    ?shutdown_timeout,
                    "shutdown timeout reached with shutdown guards still held; exiting"
                );
                conns.abort_all();
                return Ok(());
            }
            () = lifecycle.signalled(second) => return exit_at_once(&conns),
        }

        drop(accepting);
        conns.closing.send_replace(true);
        tokio::select! {
            () = conns.all_closed() => {}
            () = &mut bound => {
                tracing::warn!(
                    open = conns.open(),
                    ?shutdown_timeout,
                    "shutdown timeout reached with connections still open; closing them"
                );
            }
            () = lifecycle.signalled(second) => return exit_at_once(&conns),
        }
        conns.abort_all();
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

fn exit_at_once(conns: &Connections) -> io::Result<()> {
    tracing::warn!(
        open = conns.open(),
        "second termination signal during shutdown; exiting at once"
    );
    conns.abort_all();
    Ok(())
}

/// Beyond this, a cap is no cap (and the semaphore's permits stay in range).
const MAX_CONNECTIONS: usize = 1 << 24;

/// Three quarters of the `RLIMIT_NOFILE` soft limit.
fn default_max_connections() -> usize {
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
struct Connections {
    epoch: Instant,
    permits: Arc<Semaphore>,
    cap: usize,
    table: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    closing: watch::Sender<bool>,
    /// Milliseconds after `epoch` of the last accept-error warning; 0 before any.
    last_accept_warning: AtomicU64,
}

impl Connections {
    fn new(cap: usize) -> Connections {
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

    fn table(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.table
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn open(&self) -> usize {
        self.table().len()
    }

    /// Asks the connection idle the longest (no request in flight) to close; `false`
    /// when every connection is busy.
    fn evict_one(&self) -> bool {
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
    async fn all_closed(&self) {
        let all = u32::try_from(self.cap).unwrap_or(u32::MAX);
        let _ = self.permits.acquire_many(all).await;
    }

    fn abort_all(&self) {
        for conn in self.table().values() {
            if let Some(task) = conn.task() {
                task.abort();
            }
        }
    }
}

/// One connection: requests in flight and when it last did anything.
struct Conn {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `epoch`.
    last_active: AtomicU64,
    evicting: AtomicBool,
    evict: Notify,
    task: Mutex<Option<AbortHandle>>,
}

impl Conn {
    fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_active.store(now, Ordering::Release);
    }

    fn idle_since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_active.load(Ordering::Acquire))
    }

    fn task(&self) -> Option<AbortHandle> {
        self.task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}

async fn accept_loop(
    listener: TcpListener,
    conns: Arc<Connections>,
    settings: Settings,
    router: Router,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                accept_failed(error, &conns).await;
                continue;
            }
        };
        let permit = match Arc::clone(&conns.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => wait_for_room(&conns).await,
        };
        let id = conns.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            epoch: conns.epoch,
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(0),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
            task: Mutex::new(None),
        });
        conn.touch();
        conns.table().insert(id, Arc::clone(&conn));
        let task = tokio::spawn(serve_connection(
            stream,
            router.clone(),
            Arc::clone(&conn),
            Arc::clone(&conns),
            settings,
            permit,
            id,
        ));
        *conn
            .task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(task.abort_handle());
    }
}

/// At the cap: closes the idlest connection, again every 100 ms, until one closes.
async fn wait_for_room(conns: &Connections) -> OwnedSemaphorePermit {
    loop {
        conns.evict_one();
        tokio::select! {
            permit = Arc::clone(&conns.permits).acquire_owned() => {
                return permit.expect("the connection semaphore is never closed");
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

async fn accept_failed(error: io::Error, conns: &Connections) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    #[cfg(unix)]
    let out_of_files = matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
    #[cfg(not(unix))]
    let out_of_files = false;
    // Out of descriptors below the cap (the application holds many): idle connections
    // give theirs back, a few at a time, so that the listen queue keeps moving.
    let evicted = if out_of_files {
        (0..8).filter(|_| conns.evict_one()).count()
    } else {
        0
    };
    // One warning a second at most: a loop of failed accepts must not flood the log.
    let now = conns.epoch.elapsed().as_millis() as u64;
    let last = conns.last_accept_warning.load(Ordering::Relaxed);
    if last == 0 || now.saturating_sub(last) >= 1000 {
        conns
            .last_accept_warning
            .store(now.max(1), Ordering::Relaxed);
        tracing::warn!(%error, open = conns.open(), evicted, "accept failed; retrying");
    }
    let pause = if evicted > 0 { 10 } else { 100 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// Removes a connection from the table when its task ends, however it ends.
struct Registered {
    conns: Arc<Connections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.conns.table().remove(&self.id);
    }
}

async fn serve_connection(
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

/// The connection's stream, noting when bytes move.
struct Tracked {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.touch();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(written)) if written > 0) {
            self.conn.touch();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(written)) if written > 0) {
            self.conn.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request in flight on a connection, from its headers until its response body ends.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn begin(conn: &Arc<Conn>) -> InFlight {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.touch();
        InFlight(Arc::clone(conn))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The router, as hyper calls it for each request of one connection.
struct ConnService {
    router: Router,
    conn: Arc<Conn>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(&self.conn);
        let mut router = self.router.clone();
        Box::pin(async move {
            type Request = hyper::Request<Incoming>;
            std::future::poll_fn(|cx| {
                tower_service::Service::<Request>::poll_ready(&mut router, cx)
            })
            .await?;
            let response = tower_service::Service::<Request>::call(&mut router, request).await?;
            Ok(response.map(|body| {
                Body::new(TrackedBody {
                    body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
