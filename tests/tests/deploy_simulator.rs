//! The kubelet simulator's own HTTP probe, against real servers: what counts as success,
//! the timeout over the whole exchange, and a fresh connection per probe.
#![cfg(feature = "deploy")]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use tests::kubelet::{Outcome, http_get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(1);

/// An axum server that records the peer address of every `/ok` request.
async fn server() -> (SocketAddr, Arc<Mutex<Vec<SocketAddr>>>) {
    let peers = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&peers);
    let app = Router::new()
        .route(
            "/ok",
            get(
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                    seen.lock().unwrap().push(peer);
                    "ok"
                },
            ),
        )
        .route("/moved", get(|| async { Redirect::to("/elsewhere") }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1_500)).await;
                "late"
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });
    (addr, peers)
}

#[tokio::test]
async fn success_is_200_to_399() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    let moved = http_get(addr, "/moved", TIMEOUT).await;
    assert_eq!(moved, Outcome::Status(303));
    assert!(moved.is_success());
    for (path, status) in [("/missing", 404), ("/down", 503)] {
        let outcome = http_get(addr, path, TIMEOUT).await;
        assert_eq!(outcome, Outcome::Status(status));
        assert!(!outcome.is_success());
    }
}

#[tokio::test]
async fn a_slow_answer_or_no_listener_is_a_failure() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/slow", TIMEOUT).await, Outcome::TimedOut);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = http_get(closed, "/ok", TIMEOUT).await;
    assert!(matches!(refused, Outcome::Error(_)), "{refused:?}");
    assert!(!refused.is_success());
}

#[tokio::test]
async fn the_timeout_covers_the_body_too() {
    // The status line and headers come at once, the body after the timeout.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let _ = socket.write_all(b"late").await;
    });
    assert_eq!(http_get(addr, "/", TIMEOUT).await, Outcome::TimedOut);
}

#[tokio::test]
async fn every_probe_opens_a_fresh_connection() {
    let (addr, peers) = server().await;
    for _ in 0..5 {
        assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    }
    let peers = peers.lock().unwrap();
    assert_eq!(peers.len(), 5);
    assert_eq!(peers.iter().collect::<HashSet<_>>().len(), 5, "{peers:?}");
}
