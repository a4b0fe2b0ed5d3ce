//! The Redis built-ins (`checks::redis`) through the fault matrix, against a private
//! `redis-server` with a password; every report is read through a real listening server
//! and checked for the password.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health, checks};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::probe::probe;
use tests::redis_server::RedisServer;
use tests::secrets::SECRET_PASSWORD;

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

fn client(addr: SocketAddr) -> redis::Client {
    redis::Client::open(format!("redis://:{SECRET_PASSWORD}@{addr}")).expect("redis url")
}

impl Subject for Kind {
    type Server = RedisServer;
    const NAME: &'static str = "redis";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> RedisServer {
        RedisServer::start_with_password(SECRET_PASSWORD)
    }

    fn check(&self, _server: &Self::Server, _addr: SocketAddr) -> Check {
        match self {
            Kind::Manager => checks::redis::check("redis"),
            Kind::Multiplexed => checks::redis::check_multiplexed("redis"),
            Kind::Client => checks::redis::check_client("redis"),
        }
    }

    async fn provide(&self, health: &Health, addr: SocketAddr) {
        let client = client(addr);
        match self {
            Kind::Manager => {
                health.provide(ConnectionManager::new(client).await.expect("connect"));
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
    }

    fn expect(&self) -> Expectations {
        let killed: &[&str] = &["redis: Connection reset by peer", "redis: broken pipe"];
        match self {
            // A manager retries its reconnection with backoff, so a run may end on the
            // check's timeout instead of the refusal.
            Kind::Manager => Expectations {
                down: &[
                    "redis: Connection refused",
                    "redis: broken pipe",
                    "Timeout after 1000ms",
                ],
                killed,
                killed_ends_run: true,
                recovery: Recovery::Reconnects { probes: 2 },
                recovers_within: 5,
            },
            // One connection that never reconnects: it keeps telling the truth about
            // that connection until a fresh one is provided in its place.
            Kind::Multiplexed => Expectations {
                down: &["redis: broken pipe"],
                killed,
                killed_ends_run: true,
                recovery: Recovery::Replaced {
                    error: &["redis: broken pipe"],
                },
                recovers_within: 5,
            },
            Kind::Client => Expectations {
                down: &["redis: Connection refused"],
                killed,
                killed_ends_run: true,
                recovery: Recovery::Reconnects { probes: 2 },
                recovers_within: 5,
            },
        }
    }
}

tests::fault_matrix!(
    manager => Kind::Manager,
    multiplexed => Kind::Multiplexed,
    client => Kind::Client,
);

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
