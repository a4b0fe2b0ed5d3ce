//! The NATS built-in (`checks::async_nats`) through the fault matrix, against a private
//! `nats-server` with a user and password.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use tests::dependency::Dependency;
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::nats_server::{NatsServer, USER};
use tests::probe::probe;
use tests::secrets::SECRET_PASSWORD;

const TIMEOUT: Duration = Duration::from_millis(1000);

async fn connect(addr: SocketAddr, password: &str) -> async_nats::Client {
    async_nats::ConnectOptions::with_user_and_password(USER.to_owned(), password.to_owned())
        .connect(format!("nats://{addr}"))
        .await
        .expect("connect")
}

/// `checks::async_nats::check` over a provided `async_nats::Client`.
struct Client;

impl Subject for Client {
    type Server = NatsServer;
    const NAME: &'static str = "nats";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> NatsServer {
        NatsServer::start(SECRET_PASSWORD)
    }

    fn check(&self, _server: &Self::Server, _addr: SocketAddr) -> Check {
        checks::async_nats::check("nats")
    }

    async fn provide(&self, health: &Health, addr: SocketAddr) {
        health.provide(connect(addr, SECRET_PASSWORD).await);
    }

    fn expect(&self) -> Expectations {
        Expectations {
            // The client notices a dead connection by itself and reconnects in the
            // background; until it has, the state says so.
            down: &[
                "nats: disconnected",
                "nats: pending",
                "Timeout after 1000ms",
            ],
            killed: &[
                "nats: disconnected",
                "nats: pending",
                "Timeout after 1000ms",
            ],
            killed_ends_run: false,
            recovery: Recovery::Reconnects { probes: 10 },
            recovers_within: 10,
        }
    }
}

tests::fault_matrix!(async_nats_client => Client);

/// The one-line form over a client the check owns, with the server's name as a detail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_a_given_client_reports_the_server() {
    let server = NatsServer::start(SECRET_PASSWORD);
    let client = connect(server.addr(), server.password()).await;
    let health = Health::builder()
        .without_registered()
        .check(checks::async_nats::check_with("nats", client))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("nats");
    assert!(probed.check("nats")["details"]["version"].is_string());
}

/// Until the client is provided, the check reports it as not initialised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_client_is_not_initialised() {
    let health = Health::builder()
        .without_registered()
        .check(checks::async_nats::check("nats"))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("nats", &["Client not initialised"]);
}
