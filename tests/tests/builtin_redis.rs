//! The fault matrix of the Redis built-ins (`checks::redis`) against a private
//! `redis-server`: healthy, refused, hung (SIGSTOP), slower than the timeout (fault proxy),
//! killed mid-query, restarted. Every report is read through a real listening server and
//! checked for the server's password.

use std::time::Duration;

use health_runtime::{Check, Health, checks};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use tests::fault_proxy::{Fault, FaultProxy};
use tests::http::TestServer;
use tests::probe::{SECRET_PASSWORD, probe, probe_until_healthy};
use tests::redis_server::RedisServer;

const TIMEOUT: Duration = Duration::from_millis(1000);
const READY: &str = "/health/ready";

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `checks::redis::check` over a provided `ConnectionManager`.
    Manager,
    /// `checks::redis::check_multiplexed` over a provided `MultiplexedConnection`.
    Multiplexed,
    /// `checks::redis::check_client` over a provided `redis::Client`.
    Client,
}

/// The service under test: one Redis check of `kind`, its resource connected to `url`.
async fn service(kind: Kind, url: &str) -> TestServer {
    let check: Check = match kind {
        Kind::Manager => checks::redis::check("redis"),
        Kind::Multiplexed => checks::redis::check_multiplexed("redis"),
        Kind::Client => checks::redis::check_client("redis"),
    };
    let health = Health::builder()
        .without_registered()
        .check(check.timeout(TIMEOUT))
        .build()
        .expect("valid checks");
    let client = redis::Client::open(url).expect("redis url");
    match kind {
        Kind::Manager => {
            let manager = ConnectionManager::new(client).await.expect("connect");
            health.provide(manager);
        }
        Kind::Multiplexed => {
            let connection: MultiplexedConnection = client
                .get_multiplexed_async_connection()
                .await
                .expect("connect");
            health.provide(connection);
        }
        Kind::Client => {
            health.provide(client);
        }
    }
    TestServer::start(health.router()).await
}

async fn healthy(kind: Kind) {
    let redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let app = service(kind, &redis.url()).await;
    probe(&app, READY)
        .await
        .assert_within(TIMEOUT)
        .assert_healthy("redis");
}

async fn refused(kind: Kind) {
    let mut redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let app = service(kind, &redis.url()).await;
    redis.kill();
    // A manager reconnects in the background: each report must still be unhealthy.
    for _ in 0..3 {
        let probed = probe(&app, READY).await;
        probed.assert_within(TIMEOUT);
        probed.assert_unhealthy("redis", down_errors(kind));
    }
}

/// What each kind reports once the server is gone. A manager retries its reconnection
/// with backoff, so a run may end on the check's timeout instead of the refusal.
fn down_errors(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Manager => &[
            "redis: Connection refused",
            "redis: broken pipe",
            "Timeout after 1000ms",
        ],
        Kind::Multiplexed => &["redis: broken pipe"],
        Kind::Client => &["redis: Connection refused"],
    }
}

async fn hung(kind: Kind) {
    let redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let app = service(kind, &redis.url()).await;
    redis.pause();
    let probed = probe(&app, READY).await;
    redis.resume();
    probed.assert_within(TIMEOUT);
    // The client's own 500 ms response timeout fires before the check's 1000 ms.
    probed.assert_unhealthy("redis", &["redis: timed out", "Timeout after 1000ms"]);
}

async fn slow(kind: Kind) {
    let redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let proxy = FaultProxy::start(redis.addr()).await;
    let url = format!("redis://:{SECRET_PASSWORD}@{}", proxy.addr());
    let app = service(kind, &url).await;
    probe(&app, READY).await.assert_healthy("redis");
    proxy.set(Fault::Delay(TIMEOUT * 2));
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("redis", &["redis: timed out", "Timeout after 1000ms"]);
    proxy.set(Fault::None);
}

async fn killed_mid_query(kind: Kind) {
    let mut redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let proxy = FaultProxy::start(redis.addr()).await;
    let url = format!("redis://:{SECRET_PASSWORD}@{}", proxy.addr());
    let app = service(kind, &url).await;
    probe(&app, READY).await.assert_healthy("redis");
    // The PING is held by the proxy (the server is busy); the server dies meanwhile.
    proxy.set(Fault::Delay(Duration::from_millis(300)));
    let report = tokio::spawn(async move {
        let probed = probe(&app, READY).await;
        (probed, app)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    redis.kill();
    proxy.set(Fault::Reset);
    let (probed, _app) = report.await.expect("probe task");
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy(
        "redis",
        &["redis: Connection reset by peer", "redis: broken pipe"],
    );
}

async fn restarted(kind: Kind) {
    let mut redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let app = service(kind, &redis.url()).await;
    probe(&app, READY).await.assert_healthy("redis");
    redis.kill();
    probe(&app, READY)
        .await
        .assert_unhealthy("redis", down_errors(kind));
    redis.restart();
    let probes = probe_until_healthy(&app, READY, "redis", 10).await;
    assert!(
        probes <= 2,
        "{kind:?}: healthy again only after {probes} probes"
    );
}

macro_rules! matrix {
    ($($kind:ident => $module:ident),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn healthy() { super::healthy(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refused() { super::refused(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn hung() { super::hung(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn slower_than_timeout() { super::slow(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn killed_mid_query() { super::killed_mid_query(Kind::$kind).await }
        }
    )*};
}

matrix!(Manager => manager, Multiplexed => multiplexed, Client => client);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_recovers_after_restart() {
    restarted(Kind::Manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_recovers_after_restart() {
    restarted(Kind::Client).await;
}

/// A `MultiplexedConnection` never reconnects: after a restart its check keeps telling the
/// truth about that connection, and a fresh connection provided in its place is healthy
/// at the next report, without restarting the application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiplexed_after_restart_reports_the_dead_connection_until_replaced() {
    let mut redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let health = Health::builder()
        .without_registered()
        .check(checks::redis::check_multiplexed("redis").timeout(TIMEOUT))
        .build()
        .unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    health.provide(client.get_multiplexed_async_connection().await.unwrap());
    let app = TestServer::start(health.router()).await;
    probe(&app, READY).await.assert_healthy("redis");
    redis.restart();
    probe(&app, READY)
        .await
        .assert_unhealthy("redis", &["redis: broken pipe"]);
    health.provide(client.get_multiplexed_async_connection().await.unwrap());
    probe(&app, READY).await.assert_healthy("redis");
}

/// The one-line form inside a check built by hand, over a connection the check owns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_a_given_connection() {
    let redis = RedisServer::start_with_password(SECRET_PASSWORD);
    let client = redis::Client::open(redis.url()).unwrap();
    let manager = ConnectionManager::new(client).await.unwrap();
    let health = Health::builder()
        .without_registered()
        .check(checks::redis::check_with("redis", manager).timeout(TIMEOUT))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, READY).await.assert_healthy("redis");
}

/// Until the connection is provided, the check reports it as not initialised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_connection_is_not_initialised() {
    let health = Health::builder()
        .without_registered()
        .check(checks::redis::check("redis"))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, READY)
        .await
        .assert_unhealthy("redis", &["ConnectionManager not initialised"]);
}
