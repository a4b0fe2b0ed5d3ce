//! The fault matrix of the PostgreSQL built-ins (`checks::tokio_postgres`,
//! `checks::deadpool_postgres`, `checks::sqlx`) against a private PostgreSQL cluster with
//! password authentication: healthy, refused, hung (SIGSTOP), slower than the timeout
//! (fault proxy), killed mid-query, restarted. Every report is read through a real
//! listening server and checked for the cluster's password.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use sqlx::postgres::PgPoolOptions;
use tests::fault_proxy::{Fault, FaultProxy};
use tests::http::TestServer;
use tests::postgres_server::PostgresServer;
use tests::probe::{SECRET_PASSWORD, probe, probe_until_healthy};
use tokio_postgres::NoTls;

const TIMEOUT: Duration = Duration::from_millis(2000);
const READY: &str = "/health/ready";

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `checks::tokio_postgres::check` over a provided `tokio_postgres::Client`.
    Client,
    /// `checks::tokio_postgres::check_connect`: a fresh connection per run.
    Connect,
    /// `checks::deadpool_postgres::check` over a provided `deadpool_postgres::Pool`.
    Deadpool,
    /// `checks::sqlx::check` over a provided `sqlx::PgPool`.
    Sqlx,
}

fn config(addr: SocketAddr) -> tokio_postgres::Config {
    format!(
        "host=127.0.0.1 port={} user=postgres password={SECRET_PASSWORD} dbname=postgres connect_timeout=10",
        addr.port()
    )
    .parse()
    .expect("connection string")
}

/// The service under test: one Postgres check of `kind` connected to `addr`.
async fn service(kind: Kind, addr: SocketAddr) -> TestServer {
    let check: Check = match kind {
        Kind::Client => checks::tokio_postgres::check("postgres"),
        Kind::Connect => checks::tokio_postgres::check_connect("postgres", config(addr), NoTls),
        Kind::Deadpool => checks::deadpool_postgres::check("postgres"),
        Kind::Sqlx => checks::sqlx::check("postgres"),
    };
    let health = Health::builder()
        .without_registered()
        .check(check.timeout(TIMEOUT))
        .build()
        .expect("valid checks");
    match kind {
        Kind::Client => {
            let (client, connection) = config(addr).connect(NoTls).await.expect("connect");
            tokio::spawn(connection);
            health.provide(client);
        }
        Kind::Connect => {}
        Kind::Deadpool => {
            let manager = deadpool_postgres::Manager::new(config(addr), NoTls);
            let pool = deadpool_postgres::Pool::builder(manager)
                .max_size(2)
                .build()
                .expect("pool");
            health.provide(pool);
        }
        Kind::Sqlx => {
            let url = format!("postgres://postgres:{SECRET_PASSWORD}@{addr}/postgres");
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .expect("connect");
            health.provide(pool);
        }
    }
    TestServer::start(health.router()).await
}

/// What each kind reports once the server is gone.
fn down_errors(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Client => &["postgres: connection closed"],
        Kind::Connect | Kind::Deadpool => &["error connecting to server: Connection refused"],
        Kind::Sqlx => &["Connection refused", "Timeout after 2000ms"],
    }
}

async fn healthy(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let app = service(kind, pg.addr()).await;
    probe(&app, READY)
        .await
        .assert_within(TIMEOUT)
        .assert_healthy("postgres");
}

async fn refused(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let app = service(kind, pg.addr()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    pg.kill();
    for _ in 0..2 {
        let probed = probe(&app, READY).await;
        probed.assert_within(TIMEOUT);
        probed.assert_unhealthy("postgres", down_errors(kind));
    }
}

async fn hung(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let app = service(kind, pg.addr()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    pg.pause();
    let probed = probe(&app, READY).await;
    pg.resume();
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("postgres", &["Timeout after 2000ms"]);
}

async fn slow(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let proxy = FaultProxy::start(pg.addr()).await;
    let app = service(kind, proxy.addr()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    proxy.set(Fault::Delay(TIMEOUT * 2));
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("postgres", &["Timeout after 2000ms"]);
    proxy.set(Fault::None);
    let probes = probe_until_healthy(&app, READY, "postgres", 25).await;
    assert!(
        probes <= 20,
        "{kind:?}: healthy again only after {probes} probes"
    );
}

async fn killed_mid_query(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let app = service(kind, pg.addr()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    // The server is frozen while the query is in flight, then killed.
    pg.pause();
    let report = tokio::spawn(async move {
        let probed = probe(&app, READY).await;
        (probed, app)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    pg.kill();
    let (probed, _app) = report.await.expect("probe task");
    probed.assert_within(TIMEOUT);
    if let Kind::Sqlx = kind {
        // sqlx tests a pooled connection before handing it out; when that test fails it
        // silently opens a new connection and keeps retrying the refused connect, so the
        // run ends on the check's timeout unless the in-flight query saw the reset first.
        probed.assert_unhealthy(
            "postgres",
            &["Connection reset by peer", "Timeout after 2000ms"],
        );
        return;
    }
    assert!(
        probed.elapsed < TIMEOUT,
        "{kind:?}: the kill should end the run before the timeout, took {:?}",
        probed.elapsed
    );
    probed.assert_unhealthy(
        "postgres",
        &[
            "postgres: connection closed",
            "Connection reset by peer",
            "error communicating with database",
        ],
    );
}

async fn restarted(kind: Kind) {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let app = service(kind, pg.addr()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    pg.kill();
    probe(&app, READY)
        .await
        .assert_unhealthy("postgres", down_errors(kind));
    pg.restart();
    let probes = probe_until_healthy(&app, READY, "postgres", 10).await;
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

matrix!(
    Client => tokio_postgres_client,
    Connect => tokio_postgres_connect,
    Deadpool => deadpool,
    Sqlx => sqlx_pool,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_connect_recovers_after_restart() {
    restarted(Kind::Connect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadpool_recovers_after_restart() {
    restarted(Kind::Deadpool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_recovers_after_restart() {
    restarted(Kind::Sqlx).await;
}

/// A `tokio_postgres::Client` is one connection: after a restart its check reports the
/// closed connection, and a new client provided in its place is healthy at the next
/// report, without restarting the application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_client_after_restart_reports_closed_until_replaced() {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let health = Health::builder()
        .without_registered()
        .check(checks::tokio_postgres::check("postgres").timeout(TIMEOUT))
        .build()
        .unwrap();
    let connect = || async {
        let (client, connection) = config(pg.addr()).connect(NoTls).await.unwrap();
        tokio::spawn(connection);
        client
    };
    health.provide(connect().await);
    let app = TestServer::start(health.router()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    pg.restart();
    probe(&app, READY)
        .await
        .assert_unhealthy("postgres", &["postgres: connection closed"]);
    health.provide(connect().await);
    probe(&app, READY).await.assert_healthy("postgres");
}

/// A wrong password fails with the server's message, which names the user but never the
/// password that was tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_without_the_password() {
    let pg = PostgresServer::start("the-real-password-1");
    let app = service(Kind::Connect, pg.addr()).await;
    probe(&app, READY).await.assert_unhealthy(
        "postgres",
        &["password authentication failed for user \"postgres\""],
    );
}

/// The builder forms over a client or pool the check owns, and the one-line forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_given_clients_and_pools() {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let (client, connection) = config(pg.addr()).connect(NoTls).await.unwrap();
    tokio::spawn(connection);
    let deadpool =
        deadpool_postgres::Pool::builder(deadpool_postgres::Manager::new(config(pg.addr()), NoTls))
            .build()
            .unwrap();
    let sqlx = PgPoolOptions::new().connect_lazy(&pg.url()).unwrap();
    let one_line = {
        let sqlx = sqlx.clone();
        Check::new("one-line", move || {
            let sqlx = sqlx.clone();
            async move { checks::sqlx::select_one(&sqlx).await }
        })
    };
    let health = Health::builder()
        .without_registered()
        .check(checks::tokio_postgres::check_with(
            "client",
            std::sync::Arc::new(client),
        ))
        .check(checks::deadpool_postgres::check_with("deadpool", deadpool))
        .check(checks::sqlx::check_with("sqlx", sqlx))
        .check(one_line)
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, READY).await;
    for name in ["client", "deadpool", "sqlx", "one-line"] {
        probed.assert_healthy(name);
    }
    assert_eq!(probed.check("deadpool")["details"]["pool_size"], 1);
}

/// Waiting for a pooled connection is part of the run: with the pool's only connection
/// held elsewhere, the check ends on its own timeout instead of waiting for the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadpool_waiting_for_a_connection_counts_toward_the_timeout() {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let manager = deadpool_postgres::Manager::new(config(pg.addr()), NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap();
    let health = Health::builder()
        .without_registered()
        .check(checks::deadpool_postgres::check_with("postgres", pool.clone()).timeout(TIMEOUT))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, READY).await.assert_healthy("postgres");
    let held = pool.get().await.unwrap();
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("postgres", &["Timeout after 2000ms"]);
    drop(held);
    probe(&app, READY).await.assert_healthy("postgres");
}
