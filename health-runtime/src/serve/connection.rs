//! One connection's life: served by hyper with the header-read timeout, closed when idle
//! past the idle timeout or evicted to make room, closed gracefully on shutdown, and
//! removed from the table however it ends.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::activity::{ConnService, Tracked};
use super::connections::{Conn, Connections, Settings};

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
