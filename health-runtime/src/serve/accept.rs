//! The accept loop: a permit under the cap for every new connection (the idlest one
//! closed to make room), accept errors logged and retried, never fatal.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::OwnedSemaphorePermit;

use super::connection::serve_connection;
use super::connections::{Conn, Connections, Settings};
use super::counters::Event;

pub(super) async fn accept_loop(
    listener: TcpListener,
    conns: Arc<Connections>,
    settings: Settings,
    router: Router,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                conns.count(Event::Accepted);
                stream
            }
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
        let conn = Conn::new(&conns.clock);
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
    conns.count(Event::AcceptError);
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
    let now = conns.clock.advance();
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
