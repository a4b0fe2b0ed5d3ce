//! The HTTP prober (`kubelet::HttpGet`, `http_get`) against an axum server: statuses,
//! redirects, timeouts and headers as the kubelet's `DoHTTPProbe` judges them. The
//! workspace's `tests/tests/deploy_simulator.rs` goes through every rule against servers
//! of hand-written answers.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Redirect;
use axum::routing::get;
use health_runtime_testing::kubelet::{HttpGet, Outcome, http_get};

const TIMEOUT: Duration = Duration::from_secs(1);

async fn server() -> SocketAddr {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
        .route("/to-down", get(|| async { Redirect::temporary("/down") }))
        .route(
            "/away",
            get(|| async { Redirect::temporary("http://example.invalid/") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "late"
            }),
        )
        .route(
            "/echo-headers",
            get(|headers: HeaderMap| async move {
                let accept = headers
                    .get("accept")
                    .map(|v| v.to_str().unwrap().to_owned());
                let probe = headers
                    .get("x-probe")
                    .map(|v| v.to_str().unwrap().to_owned());
                match (accept.as_deref(), probe.as_deref()) {
                    (None, Some("kubelet")) => StatusCode::OK,
                    _ => StatusCode::BAD_REQUEST,
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn statuses_redirects_and_timeouts() {
    let addr = server().await;
    assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    assert_eq!(
        http_get(addr, "/to-down", TIMEOUT).await,
        Outcome::Status(503)
    );
    let away = http_get(addr, "/away", TIMEOUT).await;
    assert_eq!(away, Outcome::Status(307));
    assert!(away.is_success() && away.is_warning());
    assert_eq!(http_get(addr, "/slow", TIMEOUT).await, Outcome::TimedOut);
}

#[tokio::test]
async fn headers_go_as_the_probe_gives_them() {
    let addr = server().await;
    let plain = http_get(addr, "/echo-headers", TIMEOUT).await;
    assert_eq!(plain, Outcome::Status(400));
    let probe = HttpGet::new(addr, "/echo-headers")
        .header("Accept", "")
        .header("X-Probe", "kubelet");
    assert_eq!(probe.probe(TIMEOUT).await, Outcome::Status(200));
}

#[tokio::test]
async fn a_refused_connection_is_a_failure_that_counts() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = http_get(closed, "/", TIMEOUT).await;
    assert!(matches!(refused, Outcome::Error(_)), "{refused:?}");
    assert!(!refused.is_success() && refused.counts());
}
