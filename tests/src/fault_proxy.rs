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
}

/// A proxy on `127.0.0.1:<free port>` relaying to `upstream`. Stops with every relayed
/// connection on drop.
pub struct FaultProxy {
    addr: SocketAddr,
    fault: watch::Sender<Fault>,
    supervisor: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts relaying to `upstream` (a loopback address).
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
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the fault, effective immediately.
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
            (Some(_), Fault::Refuse) => listener = None,
            (None, fault) if fault != Fault::Refuse => listener = Some(rebind(addr).await),
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
            cut = until_cut.wait_for(|f| matches!(f, Fault::Reset | Fault::Refuse)) => {
                cut.ok().map(|fault| *fault)
            }
        }
    };
    if end == Some(Fault::Reset) {
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
                Fault::Refuse | Fault::Reset => return,
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
pub struct SaturatedListener {
    addr: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

impl SaturatedListener {
    /// Listens with a backlog of 1 on a free loopback port and fills the queue.
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
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
