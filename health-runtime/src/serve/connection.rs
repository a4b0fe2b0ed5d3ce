//! One connection's life: served by hyper, closed when the sweep finds it waiting for a
//! request's headers past the header-read timeout or the idle timeout, or when the
//! accept loop evicts it to make room, closed gracefully on shutdown, and removed from
//! the table however it ends. Its task reads its signals on each poll (an atomic load)
//! rather than waiting on timers and channels of its own: hyper's own header-read timer
//! would be reset on every request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use super::activity::ConnService;
use super::connections::{CLOSE_IDLE, Conn, Connections, EVICT, GRACEFUL, HEADER, Settings};
use super::counters::Event;

/// Removes a connection from the table when its task ends, however it ends.
struct Registered {
    conns: Arc<Connections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.conns.table().remove(&self.id);
        self.conns.count(Event::Closed);
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
    let service = ConnService {
        router,
        conn: Arc::clone(&conn),
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The sweep enforces it (see `Connections::sweep`).
    builder.header_read_timeout(None);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let ended = Signalled {
        connection,
        conn,
        graceful: false,
    }
    .await;
    match ended {
        Ended::Served(Ok(())) => {}
        Ended::Served(Err(error)) => tracing::debug!(%error, "connection ended"),
        Ended::HeaderTimeout => {
            conns.count(Event::HeaderTimeout);
            tracing::debug!(
                "closing a connection that sent no request headers within {:?}",
                settings.header_read_timeout
            );
        }
        Ended::Idle => {
            conns.count(Event::IdleTimeout);
            tracing::debug!("closing a connection idle for {:?}", settings.idle_timeout);
        }
        Ended::Evicted => {
            conns.count(Event::Evicted);
            tracing::debug!("closing the idlest connection to make room for a new one");
        }
    }
}

type Connection =
    hyper::server::conn::http1::UpgradeableConnection<TokioIo<TcpStream>, ConnService>;

/// How a connection ended.
enum Ended {
    Served(hyper::Result<()>),
    HeaderTimeout,
    Idle,
    Evicted,
}

/// The connection, with its signals read on each poll: graceful shutdown, or closing when
/// idle (a signal that finds a request in flight is dropped: the connection is busy).
struct Signalled {
    connection: Connection,
    conn: Arc<Conn>,
    graceful: bool,
}

impl Future for Signalled {
    type Output = Ended;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = &mut *self;
        // Registered before the signals are read, so a signal set after the read wakes
        // the task again.
        this.conn.waker.register(cx.waker());
        let signals = this.conn.signals.load(Ordering::Acquire);
        if signals != 0 {
            if signals & GRACEFUL != 0 && !this.graceful {
                this.graceful = true;
                Pin::new(&mut this.connection).graceful_shutdown();
            }
            if signals & CLOSE_IDLE != 0 {
                if this.conn.in_flight.load(Ordering::Acquire) == 0 {
                    return Poll::Ready(if signals & EVICT != 0 {
                        Ended::Evicted
                    } else if signals & HEADER != 0 {
                        Ended::HeaderTimeout
                    } else {
                        Ended::Idle
                    });
                }
                this.conn.signals.fetch_and(!CLOSE_IDLE, Ordering::AcqRel);
            }
        }
        Pin::new(&mut this.connection).poll(cx).map(Ended::Served)
    }
}
