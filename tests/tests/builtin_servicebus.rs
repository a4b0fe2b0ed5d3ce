//! The Azure Service Bus built-in (`checks::fe2o3_amqp`) in its two layers, each through
//! the fault matrix:
//!
//! - the transport (connect, SASL, session, link, close) against a private RabbitMQ node
//!   speaking AMQP 1.0 (its own `rabbitmq_amqp1_0` plugin), the closest real broker;
//! - the CBS `put-token` and `$management` peek against `ServiceBusPeer`, an in-process
//!   AMQP 1.0 peer standing in for Service Bus itself, which cannot be reached from the
//!   tests. It answers those requests as the service documents them and checks the
//!   signature of every token.
//!
//! The shared access key is one of the secrets no response body may contain.
//!
//! The second half aligns the check with Microsoft's clients point by point, each test
//! naming the client code it follows: an empty entity answered `404
//! com.microsoft:message-not-found`, `put-token` answered `200`, the request's types, the
//! reply-to addresses, the audience's port, WebSockets, and the bound on what a peek reads.

use std::net::SocketAddr;
use std::time::Duration;

use fe2o3_amqp::types::primitives::{SimpleValue, Value};
use health_runtime::checks::fe2o3_amqp::{self as servicebus, ServiceBus};
use health_runtime::{Check, Health};
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::probe::probe;
use tests::rabbitmq_server::{RabbitMqServer, USER};
use tests::secrets::{ROTATED_BUS_KEY, SECRET_API_KEY, SECRET_PASSWORD, WRONG_AMQP_PASSWORD};
use tests::servicebus_peer::{EmptyAnswer, ServiceBusPeer, connection_string};

/// The reference article's timeout for Service Bus.
const TIMEOUT: Duration = Duration::from_millis(2000);
/// The stand-in's entity.
const QUEUE: &str = "orders";
/// An address every RabbitMQ node has: the fanout exchange.
const ADDRESS: &str = "/exchange/amq.fanout";

fn amqp_url(addr: SocketAddr) -> String {
    format!("amqp://{USER}:{SECRET_PASSWORD}@{addr}")
}

/// `checks::fe2o3_amqp::check_attach` against a private RabbitMQ node over AMQP 1.0.
struct Transport;

impl Subject for Transport {
    type Server = RabbitMqServer;
    const NAME: &'static str = "amqp";

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
        servicebus::check_attach("amqp", amqp_url(addr), ADDRESS)
    }

    async fn provide(&self, _health: &Health, _addr: SocketAddr) {}

    fn expect(&self) -> Expectations {
        Expectations {
            down: &["Connection refused"],
            killed: &["Connection reset by peer", "amqp: "],
            killed_ends_run: true,
            recovery: Recovery::Reconnects { probes: 2 },
            recovers_within: 5,
        }
    }
}

/// `checks::fe2o3_amqp::check_with` over a connection string, against the stand-in.
struct Peek;

impl Subject for Peek {
    type Server = ServiceBusPeer;
    const NAME: &'static str = "servicebus";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> ServiceBusPeer {
        ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await
    }

    fn check(&self, _server: &Self::Server, addr: SocketAddr) -> Check {
        let bus =
            ServiceBus::from_connection_string(&connection_string(addr, QUEUE, SECRET_API_KEY))
                .expect("connection string");
        servicebus::check_with("servicebus", bus)
    }

    async fn provide(&self, _health: &Health, _addr: SocketAddr) {}

    fn expect(&self) -> Expectations {
        Expectations {
            down: &["Connection refused"],
            // Frozen before the connection was opened, the kill ends its SASL exchange.
            killed: &[
                "Connection reset by peer",
                "servicebus: ",
                "Waiting for SASL header exchange",
            ],
            killed_ends_run: true,
            recovery: Recovery::Reconnects { probes: 1 },
            recovers_within: 3,
        }
    }
}

tests::fault_matrix!(
    transport_on_rabbitmq => Transport,
    peek_on_stand_in => Peek,
);

async fn serve(check: Check) -> (Health, TestServer) {
    let health = Health::builder()
        .without_registered()
        .check(check)
        .build()
        .expect("valid checks");
    let server = TestServer::start(health.router()).await;
    (health, server)
}

fn bus(peer: &ServiceBusPeer, key: &str) -> ServiceBus {
    ServiceBus::from_connection_string(&peer.direct_connection_string(key)).unwrap()
}

/// The built-in check `servicebus` against `peer`, signing with `key`, served.
async fn serve_bus(peer: &ServiceBusPeer, key: &str) -> (Health, TestServer) {
    serve(servicebus::check_with("servicebus", bus(peer, key))).await
}

/// A peek reads without consuming: the same message is peeked on every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peek_reports_the_peeked_message_and_consumes_nothing() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    let empty = probe(&app, "/health/ready").await;
    empty.assert_healthy("servicebus");
    assert_eq!(empty.check("servicebus")["details"]["peeked"], 0);
    peer.set_messages(3);
    for _ in 0..2 {
        let probed = probe(&app, "/health/ready").await;
        probed.assert_healthy("servicebus");
        assert_eq!(probed.check("servicebus")["details"]["peeked"], 1);
    }
}

/// A rotated key signs a token the service rejects: `401`, and the key is never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_key_is_unauthorised_without_the_key() {
    let peer = ServiceBusPeer::start(QUEUE, ROTATED_BUS_KEY).await;
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    let error = probe(&app, "/health/ready")
        .await
        .assert_unhealthy("servicebus", &["servicebus: put-token for sb://127.0.0.1"]);
    assert!(
        error.ends_with(
            "/orders: status 401 (InvalidSignature: The token has an invalid signature.)"
        ),
        "{error}"
    );
}

/// Another entity than the one the namespace holds: `404` from the management node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_entity_is_not_found() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    let text = peer
        .direct_connection_string(SECRET_API_KEY)
        .replace("EntityPath=orders", "EntityPath=invoices");
    let bus = ServiceBus::from_connection_string(&text).unwrap();
    let (_health, app) = serve(servicebus::check_with("servicebus", bus)).await;
    probe(&app, "/health/ready").await.assert_unhealthy(
        "servicebus",
        &[
            "peek on sb://",
            "status 404 (MessagingEntityNotFound: invoices)",
        ],
    );
}

/// Over a provided `ServiceBus`: not initialised until provided, then healthy, with the
/// article's 2 s timeout by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_over_a_provided_entity() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    let check = servicebus::check("servicebus");
    assert_eq!(servicebus::DEFAULT_TIMEOUT, Duration::from_millis(2000));
    let (health, app) = serve(check).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("servicebus", &["ServiceBus not initialised"]);
    health.provide(bus(&peer, SECRET_API_KEY));
    probe(&app, "/health/ready")
        .await
        .assert_healthy("servicebus");
}

/// The key is not in `Debug`, nor in a connection-string error.
#[test]
fn the_key_is_never_shown() {
    let text = connection_string("127.0.0.1:5672".parse().unwrap(), QUEUE, SECRET_API_KEY);
    let bus = ServiceBus::from_connection_string(&text).unwrap();
    assert!(!format!("{bus:?}").contains(SECRET_API_KEY));
    assert!(!bus.to_string().contains(SECRET_API_KEY));
    let broken = text.replace("Endpoint=sb://", "Endpoint=https://");
    let error = ServiceBus::from_connection_string(&broken).unwrap_err();
    assert!(!error.to_string().contains(SECRET_API_KEY), "{error}");
    assert!(!format!("{error:?}").contains(SECRET_API_KEY), "{error:?}");
}

/// A RabbitMQ login refused over AMQP 1.0 is named, the password never shown. (The
/// broker answers a failed login only after a delay of its own, hence the longer timeout.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_with_a_wrong_password_is_refused() {
    let server = RabbitMqServer::shared();
    let url = format!(
        "amqp://{USER}:{WRONG_AMQP_PASSWORD}@{}",
        tests::dependency::Dependency::addr(server)
    );
    let (_health, app) =
        serve(servicebus::check_attach("amqp", url, ADDRESS).timeout(Duration::from_secs(8))).await;
    let error = probe(&app, "/health/ready")
        .await
        .assert_unhealthy("amqp", &["amqp: connect to 127.0.0.1"]);
    assert!(!error.contains(WRONG_AMQP_PASSWORD), "{error}");
}

/// azure-sdk-for-net `Amqp/AmqpReceiver.cs` reads `404` with the condition
/// `com.microsoft:message-not-found` as "no messages", as it reads `204`: an empty queue is
/// healthy whichever the service sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_entity_answered_message_not_found_is_healthy() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    peer.set_empty_answer(EmptyAnswer::MessageNotFound);
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("servicebus");
    assert_eq!(probed.check("servicebus")["details"]["peeked"], 0);
}

/// Microsoft.Azure.Amqp's `AmqpCbsLink` accepts `put-token` answered `200` as it accepts
/// `202`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_token_answered_ok_is_accepted() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    peer.set_put_token_status(200);
    peer.set_messages(1);
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("servicebus");
    assert_eq!(probed.check("servicebus")["details"]["peeked"], 1);
}

/// What the check sends, typed as the SDKs send it: `expiration` an AMQP timestamp
/// (`AmqpCbsLink`: `token.ExpiresAtUtc`), the audience `sb://host:port/entity` with the
/// emulator endpoint's port, `from-sequence-number` a long of 1 and `message-count` an int
/// (azure-sdk-for-net `Amqp/AmqpReceiver.cs`; azure-sdk-for-python
/// `_servicebus_receiver.py` `types.AMQPLong`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_typed_as_the_sdks_send_them() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    probe(&app, "/health/ready")
        .await
        .assert_healthy("servicebus");
    let seen = peer.seen();
    let put = &seen.put_tokens[0];
    assert_eq!(put.token_type, "servicebus.windows.net:sastoken");
    let port = peer
        .direct_connection_string(SECRET_API_KEY)
        .split("Endpoint=sb://")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
        .unwrap();
    assert_eq!(put.audience, format!("sb://{port}/{QUEUE}"));
    assert!(
        matches!(put.expiration, Some(SimpleValue::Timestamp(_))),
        "{:?}",
        put.expiration
    );
    let peek = &seen.peeks[0];
    assert_eq!(peek.from_sequence_number, Some(Value::Long(1)));
    assert_eq!(peek.message_count, Some(Value::Int(1)));
}

/// Every link's reply-to address is new and unguessable (128 random bits), as the GUIDs of
/// Microsoft's clients are: another client of the namespace cannot attach to the answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_to_addresses_are_unique_and_unguessable() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    for _ in 0..2 {
        probe(&app, "/health/ready")
            .await
            .assert_healthy("servicebus");
    }
    let seen = peer.seen();
    let mut addresses: Vec<&str> = seen
        .put_tokens
        .iter()
        .map(|put| put.reply_to.as_str())
        .chain(seen.peeks.iter().map(|peek| peek.reply_to.as_str()))
        .collect();
    assert_eq!(addresses.len(), 4);
    for address in &addresses {
        let random = address.rsplit('-').next().unwrap();
        assert!(
            random.len() == 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
            "{address}"
        );
    }
    addresses.sort_unstable();
    addresses.dedup();
    assert_eq!(addresses.len(), 4, "a reply-to address was reused");
}

/// A Premium message may weigh 100 MB: the peek reads no more than its bound, and the
/// entity, which answered, is healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_message_is_not_downloaded() {
    let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
    peer.set_messages(1);
    peer.set_message_bytes(3 << 20);
    let bounded = bus(&peer, SECRET_API_KEY).max_peek_bytes(256 * 1024);
    let (_health, app) = serve(servicebus::check_with("servicebus", bounded)).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("servicebus");
    let details = &probed.check("servicebus")["details"];
    assert_eq!(details["peeked"], 1);
    assert_eq!(details["larger_than_bytes"], 256 * 1024);
    // Under the default bound (1 MiB) a small message is read whole.
    peer.set_message_bytes(1024);
    let (_health, app) = serve_bus(&peer, SECRET_API_KEY).await;
    let probed = probe(&app, "/health/ready").await;
    assert_eq!(probed.check("servicebus")["details"]["peeked"], 1);
    assert!(probed.check("servicebus")["details"]["larger_than_bytes"].is_null());
}

/// `TransportType=AmqpWebSockets` is refused when the check is built, never quietly served
/// over 5671.
#[test]
fn websockets_are_refused_when_the_check_is_built() {
    let text = format!(
        "{};TransportType=AmqpWebSockets",
        connection_string("127.0.0.1:5672".parse().unwrap(), QUEUE, SECRET_API_KEY)
    );
    let error = ServiceBus::from_connection_string(&text)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "invalid Service Bus connection string: TransportType=AmqpWebSockets is not supported: \
         the check connects with AMQP over TCP (port 5671); allow outbound 5671 or leave \
         TransportType out"
    );
}
