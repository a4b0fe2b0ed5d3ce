//! The kubelet simulator's HTTP probe against real servers, each behaviour named after
//! the kubelet function it mirrors (`pkg/probe/http/http.go`, `pkg/kubelet/prober`).
#![cfg(feature = "deploy")]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use tests::kubelet::{Outcome, http_get, raw_http_server};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(1);

/// An axum server that records the peer address of every `/ok` request.
async fn server() -> (SocketAddr, Arc<Mutex<Vec<SocketAddr>>>) {
    let peers = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&peers);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        Router::new()
            .route(
                "/ok",
                get(
                    move |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                        seen.lock().unwrap().push(peer);
                        "ok"
                    },
                ),
            )
            .route("/to-ok", get(|| async { Redirect::to("/ok") }))
            .route("/to-down", get(|| async { Redirect::temporary("/down") }))
            .route("/relative/to-ok", get(|| async { redirect_to("../ok") }))
            .route(
                "/chain/{n}",
                get(|Path(n): Path<u32>| async move { chain(n) }),
            )
            .route(
                "/elsewhere",
                get(move || async move {
                    redirect_to(&format!("http://localhost:{}/down", addr.port()))
                }),
            )
            .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
            .route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .route("/large", get(|| async { "x".repeat(64 * 1024) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(1_500)).await;
                    "late"
                }),
            );
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });
    (addr, peers)
}

fn redirect_to(location: &str) -> axum::response::Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, location.parse().unwrap());
    (StatusCode::FOUND, headers).into_response()
}

/// `/chain/n` redirects to `/chain/n-1`, and `/chain/0` answers 200.
fn chain(n: u32) -> axum::response::Response {
    if n == 0 {
        "end".into_response()
    } else {
        redirect_to(&format!("/chain/{}", n - 1))
    }
}

#[tokio::test]
async fn do_http_probe_counts_200_to_399_as_success() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    for (path, status) in [("/missing", 404), ("/down", 503)] {
        let outcome = http_get(addr, path, TIMEOUT).await;
        assert_eq!(outcome, Outcome::Status(status));
        assert!(!outcome.is_success() && outcome.counts());
    }
}

#[tokio::test]
async fn redirect_checker_follows_same_host_redirects_and_judges_the_final_status() {
    let (addr, peers) = server().await;
    assert_eq!(
        http_get(addr, "/to-ok", TIMEOUT).await,
        Outcome::Status(200)
    );
    assert_eq!(
        http_get(addr, "/relative/to-ok", TIMEOUT).await,
        Outcome::Status(200)
    );
    // A 302 (or 307) to a 503 is a failure, not the success its 3xx would be.
    let down = http_get(addr, "/to-down", TIMEOUT).await;
    assert_eq!(down, Outcome::Status(503));
    assert!(!down.is_success());
    // Every hop is a request of its own, on a fresh connection.
    assert_eq!(peers.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn redirect_checker_stops_at_the_tenth_redirect() {
    let (addr, _) = server().await;
    assert_eq!(
        http_get(addr, "/chain/9", TIMEOUT).await,
        Outcome::Status(200)
    );
    let ten = http_get(addr, "/chain/10", TIMEOUT).await;
    assert_eq!(ten, Outcome::Error("stopped after 10 redirects".into()));
    assert!(!ten.is_success());
}

#[tokio::test]
async fn redirect_checker_does_not_follow_another_host_and_counts_its_3xx_as_success() {
    let (addr, _) = server().await;
    // `localhost` is another host name than the probe's 127.0.0.1, whatever it resolves to:
    // `http.ErrUseLastResponse`, a warning the prober turns into a success.
    let other = http_get(addr, "/elsewhere", TIMEOUT).await;
    assert_eq!(other, Outcome::Status(302));
    assert!(other.is_success());
}

#[tokio::test]
async fn client_timeout_before_the_head_is_a_failure_and_no_listener_is_one_too() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/slow", TIMEOUT).await, Outcome::TimedOut);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = http_get(closed, "/ok", TIMEOUT).await;
    assert!(matches!(refused, Outcome::Error(_)), "{refused:?}");
    assert!(!refused.is_success() && refused.counts());
}

#[tokio::test]
async fn read_at_most_truncates_a_large_body_without_failing() {
    let (addr, _) = server().await;
    assert_eq!(
        http_get(addr, "/large", TIMEOUT).await,
        Outcome::Status(200)
    );
}

#[tokio::test]
async fn run_probe_with_retries_discards_a_body_that_cannot_be_read() {
    // The head says 100 bytes; 4 arrive and the connection closes.
    let short = raw_http_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n",
        b"half",
        Duration::ZERO,
    )
    .await;
    let outcome = http_get(short, "/", TIMEOUT).await;
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    assert!(!outcome.counts());

    // The body arrives after the client timeout: the read errs (the timeout covers the
    // body too), and each of the three tries waits the whole timeout.
    let late = raw_http_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n",
        b"late",
        Duration::from_millis(1_500),
    )
    .await;
    let started = Instant::now();
    let outcome = http_get(late, "/", TIMEOUT).await;
    let took = started.elapsed();
    println!("a late body: {outcome:?} after {took:?}");
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    assert!(
        took >= TIMEOUT * 3 && took < TIMEOUT * 3 + Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn the_http_prober_opens_a_fresh_connection_per_probe() {
    let (addr, peers) = server().await;
    for _ in 0..5 {
        assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    }
    let peers = peers.lock().unwrap();
    assert_eq!(peers.len(), 5);
    assert_eq!(peers.iter().collect::<HashSet<_>>().len(), 5, "{peers:?}");
}
