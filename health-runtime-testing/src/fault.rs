//! A TCP proxy in front of a real server that injects network faults on demand.
//!
//! The fault applies at once to new connections and to the connections already relayed
//! (a pool's idle connections included), so a test can turn a healthy dependency into a
//! refusing, hanging, slow or resetting one and back, while the application under test
//! keeps running.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// What the proxy does to traffic.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use health_runtime_testing::fault::{Fault, FaultProxy};
///
/// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
/// proxy.set(Fault::Refuse);
/// assert!(tokio::net::TcpStream::connect(proxy.addr()).await.is_err());
/// proxy.set(Fault::None);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Relays bytes both ways.
    None,
    /// Stops listening (new connections are refused) and closes relayed connections: the
    /// server is down.
    Refuse,
    /// Accepts connections and holds every byte in both directions: the server hangs.
    Blackhole,
    /// Relays each chunk after this delay: the server is slow.
    Delay(Duration),
    /// Resets relayed connections and every new one (RST).
    Reset,
    /// Resets relayed connections and stops listening: the server crashed (killed, or
    /// OOM-killed) while requests were in flight.
    Crash,
}

/// The faults compare by value, so a test can table them.
///
/// ```
/// use std::time::Duration;
/// use health_runtime_testing::fault::Fault;
///
/// let slow = Fault::Delay(Duration::from_secs(2));
/// assert_ne!(slow, Fault::None);
/// ```
impl Fault {
    fn refuses(self) -> bool {
        matches!(self, Fault::Refuse | Fault::Crash)
    }

    fn cuts(self) -> bool {
        matches!(self, Fault::Refuse | Fault::Reset | Fault::Crash)
    }
}

/// A proxy on `127.0.0.1:<free port>` relaying to `upstream`. Stops with every relayed
/// connection on drop.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use health_runtime_testing::fault::{Fault, FaultProxy};
///
/// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
/// // The application connects to `proxy.addr()` instead of the server.
/// let client = tokio::net::TcpStream::connect(proxy.addr()).await.unwrap();
/// proxy.set(Fault::Blackhole); // `client` now hangs
/// # drop(client);
/// # }
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    fault: watch::Sender<Fault>,
    supervisor: JoinHandle<()>,
}

/// Starting a proxy and switching its fault.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use health_runtime_testing::fault::{Fault, FaultProxy};
///
/// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
/// proxy.set(Fault::Reset);
/// # }
/// ```
impl FaultProxy {
    /// Starts relaying to `upstream` (a loopback address).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use health_runtime_testing::fault::{Fault, FaultProxy};
    ///
    /// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
    /// # let _ = proxy;
    /// # }
    /// ```
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        assert!(
            upstream.ip().is_loopback(),
            "the fault proxy only relays to loopback"
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (fault, faults) = watch::channel(Fault::None);
        let supervisor = tokio::spawn(supervise(listener, upstream, faults));
        FaultProxy {
            addr,
            fault,
            supervisor,
        }
    }

    /// The address clients connect to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use health_runtime_testing::fault::{Fault, FaultProxy};
    ///
    /// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
    /// let database_url = format!("postgres://postgres@{}/test", proxy.addr());
    /// # let _ = database_url;
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the fault, effective immediately.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use health_runtime_testing::fault::{Fault, FaultProxy};
    ///
    /// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let proxy = FaultProxy::start(server.local_addr().unwrap()).await;
    /// proxy.set(Fault::Crash);
    /// proxy.set(Fault::None);
    /// # }
    /// ```
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.supervisor.abort();
    }
}

/// Accepts while the fault allows it; the spawned relays live in a `JoinSet`, so aborting
/// the supervisor aborts them all.
async fn supervise(
    listener: TcpListener,
    upstream: SocketAddr,
    mut faults: watch::Receiver<Fault>,
) {
    let addr = listener.local_addr().expect("proxy address");
    let mut listener = Some(listener);
    let mut relays = JoinSet::new();
    loop {
        let current = *faults.borrow_and_update();
        match (&listener, current) {
            (Some(_), fault) if fault.refuses() => listener = None,
            (None, fault) if !fault.refuses() => listener = Some(rebind(addr).await),
            _ => {}
        }
        // Reap finished relays so the set does not grow without bound.
        while relays.try_join_next().is_some() {}
        match &listener {
            Some(bound) => tokio::select! {
                accepted = bound.accept() => {
                    if let Ok((client, _)) = accepted {
                        relays.spawn(relay(client, upstream, faults.clone()));
                    }
                }
                changed = faults.changed() => if changed.is_err() { return },
            },
            None => {
                if faults.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Binds `addr` again after a refusal; the port was ours a moment ago.
async fn rebind(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        if socket.bind(addr).is_ok()
            && let Ok(listener) = socket.listen(128)
        {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the fault proxy could not listen on {addr} again");
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, faults: watch::Receiver<Fault>) {
    if *faults.borrow() == Fault::Reset {
        reset(&client);
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        reset(&client);
        return;
    };
    let end = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let mut until_cut = faults.clone();
        tokio::select! {
            () = pump(client_read, server_write, faults.clone()) => None,
            () = pump(server_read, client_write, faults.clone()) => None,
            cut = until_cut.wait_for(|f| f.cuts()) => {
                cut.ok().map(|fault| *fault)
            }
        }
    };
    if matches!(end, Some(Fault::Reset | Fault::Crash)) {
        reset(&client);
        reset(&server);
    }
}

/// Copies `from` to `to` chunk by chunk, applying the fault current when each chunk
/// arrives. Returns when either side closes or the fault cuts the connection.
async fn pump<R, W>(mut from: R, mut to: W, mut faults: watch::Receiver<Fault>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(read) => read,
        };
        loop {
            let fault = *faults.borrow_and_update();
            match fault {
                Fault::None => break,
                Fault::Delay(delay) => {
                    tokio::time::sleep(delay).await;
                    break;
                }
                Fault::Blackhole => {
                    if faults.changed().await.is_err() {
                        return;
                    }
                }
                Fault::Refuse | Fault::Reset | Fault::Crash => return,
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

/// A listener whose accept queue is full, so the kernel drops new SYNs and a connect to
/// it hangs: a host that is up but not answering. Keeps its queued connections until
/// dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use health_runtime_testing::fault::SaturatedListener;
///
/// let host = SaturatedListener::start().await;
/// let connect = tokio::net::TcpStream::connect(host.addr());
/// assert!(tokio::time::timeout(Duration::from_millis(200), connect).await.is_err());
/// # }
/// ```
pub struct SaturatedListener {
    addr: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

/// Starting a host that never answers a connect.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use health_runtime_testing::fault::SaturatedListener;
///
/// let host = SaturatedListener::start().await;
/// let connect = tokio::net::TcpStream::connect(host.addr());
/// assert!(tokio::time::timeout(Duration::from_millis(200), connect).await.is_err());
/// # }
/// ```
impl SaturatedListener {
    /// Listens with a backlog of 1 on a free loopback port and fills the queue.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use health_runtime_testing::fault::SaturatedListener;
    ///
    /// let host = SaturatedListener::start().await;
    /// let connect = tokio::net::TcpStream::connect(host.addr());
    /// assert!(tokio::time::timeout(Duration::from_millis(200), connect).await.is_err());
    /// # }
    /// ```
    pub async fn start() -> SaturatedListener {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind");
        let listener = socket.listen(1).expect("listen");
        let addr = listener.local_addr().expect("address");
        let mut queued = Vec::new();
        // Linux queues backlog + 1 connections; the next connect must hang. Bounded.
        for _ in 0..8 {
            match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => queued.push(stream),
                Ok(Err(error)) => panic!("filling the accept queue failed: {error}"),
                Err(_) => {
                    return SaturatedListener {
                        addr,
                        _listener: listener,
                        _queued: queued,
                    };
                }
            }
        }
        panic!("the accept queue of {addr} never filled up");
    }

    /// The address whose connects hang.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use health_runtime_testing::fault::SaturatedListener;
    ///
    /// let host = SaturatedListener::start().await;
    /// let connect = tokio::net::TcpStream::connect(host.addr());
    /// assert!(tokio::time::timeout(Duration::from_millis(200), connect).await.is_err());
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
