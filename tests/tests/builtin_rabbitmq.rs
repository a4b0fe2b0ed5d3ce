//! The RabbitMQ built-in (`checks::lapin`, AMQP 0-9-1) through the fault matrix, against
//! private RabbitMQ nodes with a password user: one node shared by the cases that do not
//! break it, one of its own for each case that does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::probe::probe;
use tests::rabbitmq_server::{RabbitMqServer, USER};
use tests::secrets::{SECRET_PASSWORD, WRONG_RABBITMQ_PASSWORD};

const TIMEOUT: Duration = Duration::from_millis(2000);

fn uri(addr: SocketAddr) -> String {
    format!("amqp://{USER}:{SECRET_PASSWORD}@{addr}/%2f")
}

async fn connect(addr: SocketAddr) -> Connection {
    Connection::connect(&uri(addr), ConnectionProperties::default())
        .await
        .expect("connect")
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `checks::lapin::check` over a provided `lapin::Connection`.
    Provided,
    /// `checks::lapin::check_connect`: a fresh connection per run.
    Connect,
}

impl Subject for Kind {
    type Server = RabbitMqServer;
    const NAME: &'static str = "rabbitmq";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> RabbitMqServer {
        RabbitMqServer::start(SECRET_PASSWORD)
    }

    fn shared(&self) -> Option<&'static RabbitMqServer> {
        Some(RabbitMqServer::shared())
    }

    fn check(&self, _server: &Self::Server, addr: SocketAddr) -> Check {
        match self {
            Kind::Provided => checks::lapin::check("rabbitmq"),
            Kind::Connect => checks::lapin::check_connect("rabbitmq", uri(addr), None),
        }
    }

    async fn provide(&self, health: &Health, addr: SocketAddr) {
        if let Kind::Provided = self {
            health.provide(connect(addr).await);
        }
    }

    fn expect(&self) -> Expectations {
        match self {
            Kind::Provided => Expectations {
                down: &["rabbitmq: "],
                killed: &["rabbitmq: "],
                killed_ends_run: true,
                recovery: Recovery::Replaced {
                    error: &["rabbitmq: "],
                },
                recovers_within: 5,
            },
            Kind::Connect => Expectations {
                down: &["Connection refused"],
                killed: &["Connection reset by peer", "rabbitmq: "],
                killed_ends_run: true,
                recovery: Recovery::Reconnects { probes: 2 },
                recovers_within: 5,
            },
        }
    }
}

tests::fault_matrix!(
    lapin_connection => Kind::Provided,
    lapin_connect => Kind::Connect,
);

/// The named queue is declared passively: present, it adds its figures; missing, the
/// report names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_declare_names_a_missing_queue() {
    let server = RabbitMqServer::shared();
    let connection = Arc::new(
        Connection::connect(&server.url(), ConnectionProperties::default())
            .await
            .unwrap(),
    );
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_declare(
            "jobs-present".into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let health = Health::builder()
        .without_registered()
        .check(checks::lapin::check_with(
            "present",
            connection.clone(),
            Some("jobs-present".into()),
        ))
        .check(checks::lapin::check_with(
            "missing",
            connection,
            Some("jobs-missing".into()),
        ))
        .check(checks::lapin::check_connect(
            "connect",
            server.url(),
            Some("jobs-missing".into()),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, "/health/ready").await;
    assert_eq!(probed.check("present")["healthy"], true, "{:?}", probed);
    assert_eq!(probed.check("present")["details"]["messages"], 0);
    for name in ["missing", "connect"] {
        let error = probed.assert_unhealthy(name, &["rabbitmq: queue `jobs-missing`"]);
        assert!(error.contains("NOT_FOUND"), "{error}");
    }
}

/// A wrong password is refused by the broker, never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_without_the_password() {
    let server = RabbitMqServer::shared();
    let wrong = server
        .url()
        .replace(SECRET_PASSWORD, WRONG_RABBITMQ_PASSWORD);
    let health = Health::builder()
        .without_registered()
        .check(checks::lapin::check_connect("rabbitmq", wrong, None).timeout(TIMEOUT))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let error = probe(&app, "/health/ready")
        .await
        .assert_unhealthy("rabbitmq", &["rabbitmq: "]);
    assert!(!error.contains(WRONG_RABBITMQ_PASSWORD), "{error}");
}
