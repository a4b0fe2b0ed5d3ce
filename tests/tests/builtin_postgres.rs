//! The PostgreSQL built-ins (`checks::tokio_postgres`, `checks::deadpool_postgres`,
//! `checks::sqlx`) through the fault matrix, against a private PostgreSQL cluster with
//! password authentication; every report is read through a real listening server and
//! checked for the cluster's password.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use sqlx::postgres::PgPoolOptions;
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::postgres_server::PostgresServer;
use tests::probe::probe;
use tests::secrets::{OTHER_SERVER_PASSWORD, SECRET_PASSWORD};
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

async fn connect(addr: SocketAddr) -> tokio_postgres::Client {
    let (client, connection) = config(addr).connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

impl Subject for Kind {
    type Server = PostgresServer;
    const NAME: &'static str = "postgres";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> PostgresServer {
        PostgresServer::start(SECRET_PASSWORD)
    }

    fn check(&self, _server: &Self::Server, addr: SocketAddr) -> Check {
        match self {
            Kind::Client => checks::tokio_postgres::check("postgres"),
            Kind::Connect => checks::tokio_postgres::check_connect("postgres", config(addr), NoTls),
            Kind::Deadpool => checks::deadpool_postgres::check("postgres"),
            Kind::Sqlx => checks::sqlx::check("postgres"),
        }
    }

    async fn provide(&self, health: &Health, addr: SocketAddr) {
        match self {
            Kind::Client => {
                health.provide(connect(addr).await);
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
    }

    fn expect(&self) -> Expectations {
        let killed: &[&str] = &[
            "postgres: connection closed",
            "Connection reset by peer",
            "error communicating with database",
        ];
        let reconnects = Recovery::Reconnects { probes: 2 };
        match self {
            // One connection: it dies with the server and is never replaced by itself.
            Kind::Client => Expectations {
                down: &["postgres: connection closed"],
                killed,
                killed_ends_run: true,
                recovery: Recovery::Replaced {
                    error: &["postgres: connection closed"],
                },
                recovers_within: 20,
            },
            Kind::Connect | Kind::Deadpool => Expectations {
                down: &["error connecting to server: Connection refused"],
                killed,
                killed_ends_run: true,
                recovery: reconnects,
                recovers_within: 20,
            },
            // sqlx tests a pooled connection before handing it out; when that test fails
            // it silently opens a new connection and keeps retrying the refused connect,
            // so the run ends on the check's timeout unless the in-flight query saw the
            // reset first.
            Kind::Sqlx => Expectations {
                down: &["Connection refused", "Timeout after 2000ms"],
                killed: &["Connection reset by peer", "Timeout after 2000ms"],
                killed_ends_run: false,
                recovery: reconnects,
                recovers_within: 20,
            },
        }
    }
}

tests::fault_matrix!(
    tokio_postgres_client => Kind::Client,
    tokio_postgres_connect => Kind::Connect,
    deadpool => Kind::Deadpool,
    sqlx_pool => Kind::Sqlx,
);

/// A wrong password fails with the server's message, which names the user but never the
/// password that was tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_without_the_password() {
    let pg = PostgresServer::start(OTHER_SERVER_PASSWORD);
    let app = tests::fault_matrix::App::start(&Kind::Connect, &pg, pg.addr()).await;
    app.probe().await.assert_unhealthy(
        "postgres",
        &["password authentication failed for user \"postgres\""],
    );
}

/// The builder forms over a client or pool the check owns, and the one-line forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_given_clients_and_pools() {
    let pg = PostgresServer::start(SECRET_PASSWORD);
    let client = connect(pg.addr()).await;
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
