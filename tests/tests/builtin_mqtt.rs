//! The MQTT built-in (`checks::rumqttc`) through the fault matrix, against a private
//! Mosquitto broker that admits one user from its password file.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use rumqttc::MqttOptions;
use tests::dependency::Dependency;
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::mosquitto_server::{MosquittoServer, USER};
use tests::probe::probe;
use tests::secrets::SECRET_PASSWORD;

const TIMEOUT: Duration = Duration::from_millis(1000);

fn options(addr: SocketAddr, password: &str) -> MqttOptions {
    let mut options = MqttOptions::new("orders-health", "127.0.0.1", addr.port());
    options.set_credentials(USER, password);
    options
}

/// `checks::rumqttc::check_with`: a connection of its own on every run.
struct Connect;

impl Subject for Connect {
    type Server = MosquittoServer;
    const NAME: &'static str = "mqtt";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> MosquittoServer {
        MosquittoServer::start(SECRET_PASSWORD)
    }

    fn check(&self, _server: &Self::Server, addr: SocketAddr) -> Check {
        checks::rumqttc::check_with("mqtt", options(addr, SECRET_PASSWORD))
    }

    async fn provide(&self, _health: &Health, _addr: SocketAddr) {}

    fn expect(&self) -> Expectations {
        Expectations {
            down: &["mqtt: I/O: Connection refused (os error 111)"],
            killed: &["Connection reset by peer", "connection closed by peer"],
            killed_ends_run: true,
            recovery: Recovery::Reconnects { probes: 1 },
            recovers_within: 1,
        }
    }
}

tests::fault_matrix!(rumqttc_connect => Connect);

/// A wrong password is the broker's refusal, never the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused_by_the_broker() {
    let server = MosquittoServer::start(SECRET_PASSWORD);
    let wrong = format!("{SECRET_PASSWORD}-old");
    let health = Health::builder()
        .without_registered()
        .check(checks::rumqttc::check_with(
            "mqtt",
            options(server.addr(), &wrong),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("mqtt", &["NotAuthorized", "BadUserNamePassword"]);
}

/// The options provided as a resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_over_provided_options() {
    let server = MosquittoServer::start(SECRET_PASSWORD);
    let health = Health::builder()
        .without_registered()
        .check(checks::rumqttc::check("mqtt"))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("mqtt", &["MqttOptions not initialised"]);
    health.provide(options(server.addr(), server.password()));
    probe(&app, "/health/ready").await.assert_healthy("mqtt");
}
