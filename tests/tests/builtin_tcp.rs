//! The fault matrix of the TCP connect built-in (`checks::tcp`), against a private
//! `redis-server` as the listening dependency: healthy, refused, hung (a full accept
//! queue: the kernel drops the SYN), killed, restarted. A connect-only check cannot see a
//! frozen process whose kernel still completes handshakes; that limit is pinned here too.

use std::time::Duration;

use health_runtime::{CheckOutcome, CheckStatus, Health, checks};
use tests::dependency::Dependency;
use tests::fault_proxy::SaturatedListener;
use tests::http::TestServer;
use tests::probe::{probe, probe_until_healthy};
use tests::redis_server::RedisServer;

const TIMEOUT: Duration = Duration::from_millis(500);
const READY: &str = "/health/ready";

async fn service(address: String) -> TestServer {
    let health = Health::builder()
        .without_registered()
        .check(checks::tcp::check("tcp", address).timeout(TIMEOUT))
        .build()
        .expect("valid checks");
    TestServer::start(health.router()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy() {
    let server = RedisServer::start();
    let app = service(server.addr().to_string()).await;
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT).assert_healthy("tcp");
    assert_eq!(
        probed.check("tcp")["details"]["peer"],
        server.addr().to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused() {
    let mut server = RedisServer::start();
    let app = service(server.addr().to_string()).await;
    server.kill();
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    let error = probed.assert_unhealthy("tcp", &["Connection refused"]);
    assert_eq!(
        error,
        format!(
            "TCP connect to {}: Connection refused (os error 111)",
            server.addr()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_and_slower_than_timeout() {
    let listener = SaturatedListener::start().await;
    let app = service(listener.addr().to_string()).await;
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("tcp", &["Timeout after 500ms"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_process_still_accepts_connections() {
    let server = RedisServer::start();
    let app = service(server.addr().to_string()).await;
    server.freeze();
    let probed = probe(&app, READY).await;
    server.thaw();
    probed.assert_within(TIMEOUT).assert_healthy("tcp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_then_restarted() {
    let mut server = RedisServer::start();
    let app = service(server.addr().to_string()).await;
    probe(&app, READY).await.assert_healthy("tcp");
    server.freeze();
    server.kill();
    probe(&app, READY)
        .await
        .assert_unhealthy("tcp", &["Connection refused"]);
    server.restart();
    let probes = probe_until_healthy(&app, READY, "tcp", 10).await;
    assert_eq!(probes, 1, "healthy again only after {probes} probes");
}

#[tokio::test]
async fn one_line_form() {
    let server = RedisServer::start();
    let outcome: CheckOutcome = checks::tcp::connect(&server.addr().to_string()).await;
    assert_eq!(outcome.status(), CheckStatus::Healthy);
    let outcome = checks::tcp::connect("127.0.0.1:not-a-port").await;
    assert_eq!(outcome.status(), CheckStatus::Unhealthy);
    assert!(
        outcome
            .message()
            .unwrap()
            .starts_with("TCP connect to 127.0.0.1:not-a-port: ")
    );
}
