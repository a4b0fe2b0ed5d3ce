//! The MySQL / MariaDB built-in (`checks::sqlx_mysql`) through the fault matrix, against
//! a private `mariadbd` with a password user; every report is read through a real
//! listening server and checked for the password.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use sqlx::mysql::MySqlPoolOptions;
use tests::dependency::Dependency;
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::mariadb_server::MariaDbServer;
use tests::probe::probe;
use tests::secrets::{OTHER_SERVER_PASSWORD, SECRET_PASSWORD};

const TIMEOUT: Duration = Duration::from_millis(2000);

fn url(addr: SocketAddr) -> String {
    format!("mysql://app:{SECRET_PASSWORD}@{addr}/app")
}

/// `checks::sqlx_mysql::check` over a provided `sqlx::MySqlPool`.
struct Pool;

impl Subject for Pool {
    type Server = MariaDbServer;
    const NAME: &'static str = "mysql";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> MariaDbServer {
        MariaDbServer::start(SECRET_PASSWORD)
    }

    fn check(&self, _server: &Self::Server, _addr: SocketAddr) -> Check {
        checks::sqlx_mysql::check("mysql")
    }

    async fn provide(&self, health: &Health, addr: SocketAddr) {
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&url(addr))
            .await
            .expect("connect");
        health.provide(pool);
    }

    // Like sqlx's PostgreSQL pool: a pooled connection that fails its test is silently
    // replaced by a new one, whose refused connect is retried until the check's timeout.
    fn expect(&self) -> Expectations {
        Expectations {
            down: &["Connection refused", "Timeout after 2000ms"],
            killed: &[
                "Connection reset by peer",
                "error communicating with database",
                "Timeout after 2000ms",
            ],
            killed_ends_run: false,
            recovery: Recovery::Reconnects { probes: 2 },
            recovers_within: 20,
        }
    }
}

tests::fault_matrix!(sqlx_mysql_pool => Pool);

/// A wrong password is the server's refusal, naming the user, never the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_without_the_password() {
    let server = MariaDbServer::start(OTHER_SERVER_PASSWORD);
    let pool = MySqlPoolOptions::new()
        .connect_lazy(&url(server.addr()))
        .unwrap();
    let health = Health::builder()
        .without_registered()
        .check(checks::sqlx_mysql::check_with("mysql", pool).timeout(TIMEOUT))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("mysql", &["Access denied for user 'app'"]);
}

/// The one-line form inside a check built by hand, and the pool's figures as details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_line_form_reports_the_pool() {
    let server = MariaDbServer::start(SECRET_PASSWORD);
    let pool = MySqlPoolOptions::new().connect_lazy(&server.url()).unwrap();
    let health = Health::builder()
        .without_registered()
        .check(Check::new("one-line", move || {
            let pool = pool.clone();
            async move { checks::sqlx_mysql::select_one(&pool).await }
        }))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("one-line");
    assert_eq!(probed.check("one-line")["details"]["pool_size"], 1);
}
