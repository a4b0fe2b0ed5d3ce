//! The reference article's service tested as its users would test their own with
//! `health-runtime-testing`: the real `ai_service` binary under the kubelet simulator, with
//! the Deployment it prints for itself, a database outage scripted through a fault proxy,
//! and traffic through its Service while the pod is deleted.
//!
//! Redis and PostgreSQL are private servers the test starts on free loopback ports,
//! PostgreSQL reached only through the proxy, which is what fails; Azure OpenAI and Service
//! Bus cannot exist here, so an in-process server answers the model list as Azure does (200
//! with `api-key`) and an in-process AMQP 1.0 peer stands in for the Service Bus queue.
//! One manifest second lasts 200 ms: the "30 s" outage lasts 6 s of real time, long enough
//! for the checks' real 2 s timeouts to fail twice.

use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use health_runtime_testing::fault::{Fault, FaultProxy};
use health_runtime_testing::kubelet::{Event, Kubelet, Log};
use health_runtime_testing::traffic::Traffic;
use tests::postgres_server::{PostgresServer, USER};
use tests::redis_server::RedisServer;
use tests::secrets::{AI_SERVICEBUS_KEY as SERVICEBUS_KEY, SECRET_API_KEY, SECRET_PASSWORD};
use tests::servicebus_peer::ServiceBusPeer;

const BOUND: Duration = Duration::from_secs(60);
const SCALE: Duration = Duration::from_millis(200);

fn ai_service() -> PathBuf {
    tests::example::binary("ai_service")
}

/// An Azure OpenAI stand-in: `GET /openai/models` answers 200 to the right key, an
/// injected secret ([`SECRET_API_KEY`]) that no output of the service may show.
async fn openai() -> std::net::SocketAddr {
    let app = Router::new().route(
        "/openai/models",
        get(|headers: HeaderMap| async move {
            match headers.get("api-key").and_then(|k| k.to_str().ok()) {
                Some(key) if key == SECRET_API_KEY => (StatusCode::OK, r#"{"data":[]}"#),
                _ => (StatusCode::UNAUTHORIZED, "{}"),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The pod, every dependency healthy: the private PostgreSQL behind `database`, and
/// Service Bus answered by `servicebus`.
async fn pod(
    database: &FaultProxy,
    redis: &RedisServer,
    servicebus: &ServiceBusPeer,
) -> health_runtime_testing::kubelet::Pod {
    let openai = openai().await;
    let kubelet = Kubelet::from_service(ai_service());
    let kubelet = match tests::capture::pod_log("ai_service") {
        Some(path) => kubelet.logs_to(path),
        None => kubelet,
    };
    kubelet
        .time_scale(SCALE)
        .env(
            "DATABASE_URL",
            format!(
                "postgres://{USER}:{SECRET_PASSWORD}@{}/postgres",
                database.addr()
            ),
        )
        .env("REDIS_URL", format!("redis://{}", redis.addr()))
        .env("AZURE_OPENAI_ENDPOINT", format!("http://{openai}"))
        .env("AZURE_OPENAI_API_KEY", SECRET_API_KEY)
        .env(
            "SERVICEBUS_CONNECTION_STRING",
            servicebus.direct_connection_string(SERVICEBUS_KEY),
        )
        .start()
}

fn count(log: &Log, event: &Event) -> usize {
    log.events().filter(|e| *e == event).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_s_database_outage_takes_the_pod_out_of_traffic_and_restarts_nothing() {
    let redis = RedisServer::start();
    let postgres = PostgresServer::start(SECRET_PASSWORD);
    let database = FaultProxy::start(postgres.addr()).await;
    let servicebus = ServiceBusPeer::start("jobs", SERVICEBUS_KEY).await;
    let pod = pod(&database, &redis, &servicebus).await;
    pod.wait_for("ready", BOUND, Log::ever_ready).await;

    database.set(Fault::Refuse);
    pod.run_for(SCALE * 30).await;
    database.set(Fault::None);
    let log = pod
        .wait_for("back in traffic", BOUND, |log| {
            count(log, &Event::Endpoints(true)) == 2
        })
        .await;
    drop(pod);
    println!("{}", log.summary());
    assert_eq!(log.restarts(), 0, "{log}");
    assert_eq!(count(&log, &Event::Endpoints(false)), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_with_no_failed_request() {
    let redis = RedisServer::start();
    let postgres = PostgresServer::start(SECRET_PASSWORD);
    let database = FaultProxy::start(postgres.addr()).await;
    let servicebus = ServiceBusPeer::start("jobs", SERVICEBUS_KEY).await;
    let pod = pod(&database, &redis, &servicebus).await;
    pod.wait_for("ready", BOUND, Log::ever_ready).await;

    // A request every 20 ms; the proxies apply an endpoints change 1 s late, within the
    // service's 5 s drain delay.
    let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let log = pod.delete().await;
    let report = traffic.finish().await;
    println!(
        "{}; {} requests, {} failed",
        log.summary(),
        report.sent,
        report.failed.len()
    );
    assert!(report.sent > 20, "{report:?}");
    assert_eq!(report.failed, Vec::<String>::new(), "{log}");
    assert!(log.events().any(|e| *e == Event::Exited(Some(0))), "{log}");
    assert!(!log.events().any(|e| *e == Event::Sigkill), "{log}");
}
