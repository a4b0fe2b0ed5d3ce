//! The kubelet simulator's gRPC prober (`pkg/probe/grpc/grpc.go`, `grpcProber.Probe`)
//! against servers nobody on this project wrote (tonic-health's own `HealthReporter`, a
//! router without the health protocol, a socket that never speaks), then the
//! `grpc_service` example run as a real process under the `grpc:` probes it prints for
//! itself: the HTTP scenarios of `deploy_kubelet.rs` over gRPC.
//!
//! The example binary is the one `cargo test --workspace` builds
//! (`cargo build -p examples --example grpc_service` builds it alone). Redis is a private
//! `redis-server` on a free loopback port.
#![cfg(all(feature = "deploy", feature = "grpc"))]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use health_runtime::{Check, Health, Probe};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tests::example::binary;
use tests::kubelet::{Event, Kubelet, Log, Outcome, ServingStatus, captured, grpc_check};
use tests::process::free_port;
use tests::redis_server::RedisServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus as Reported;

const TIMEOUT: Duration = Duration::from_secs(1);
const BOUND: Duration = Duration::from_secs(40);

/// tonic-health's own server: `liveness` SERVING, `""` NOT_SERVING, `stale` UNKNOWN.
async fn reporter() -> SocketAddr {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("liveness", Reported::Serving)
        .await;
    reporter.set_service_status("", Reported::NotServing).await;
    reporter
        .set_service_status("stale", Reported::Unknown)
        .await;
    serve(Server::builder().add_service(service)).await
}

async fn serve(router: tonic::transport::server::Router) -> SocketAddr {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    tokio::spawn(router.serve_with_incoming(incoming));
    addr
}

#[tokio::test]
async fn grpc_prober_probe_counts_only_serving_as_success() {
    let addr = reporter().await;
    let liveness = grpc_check(addr, "liveness", TIMEOUT).await;
    assert_eq!(liveness, Outcome::Grpc(ServingStatus::Serving));
    assert!(liveness.is_success());
    for (service, status) in [
        ("", ServingStatus::NotServing),
        ("stale", ServingStatus::Unknown),
    ] {
        let outcome = grpc_check(addr, service, TIMEOUT).await;
        assert_eq!(outcome, Outcome::Grpc(status), "{service:?}");
        assert!(!outcome.is_success(), "{service:?}");
        assert!(
            outcome.counts(),
            "{service:?}: a failure, never thrown away"
        );
    }
}

#[tokio::test]
async fn grpc_prober_probe_asks_the_service_as_given_and_fails_an_rpc_error() {
    let addr = reporter().await;
    // The same server, three answers: the name reaches it as written, `""` included.
    assert!(grpc_check(addr, "liveness", TIMEOUT).await.is_success());
    assert!(!grpc_check(addr, "", TIMEOUT).await.is_success());
    // An unknown name is a NOT_FOUND error: a failure that counts.
    let unknown = grpc_check(addr, "Liveness", TIMEOUT).await;
    assert!(
        matches!(&unknown, Outcome::Error(e) if e.contains("NotFound")),
        "{unknown:?}"
    );
    assert!(unknown.counts());
}

#[tokio::test]
async fn grpc_prober_probe_fails_a_server_without_the_health_protocol() {
    // A gRPC server with no service at all answers UNIMPLEMENTED.
    let addr = serve(Server::builder().add_routes(tonic::service::Routes::default())).await;
    let outcome = grpc_check(addr, "", TIMEOUT).await;
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("Unimplemented")),
        "{outcome:?}"
    );
    assert!(outcome.counts());
}

#[tokio::test]
async fn grpc_prober_probe_fails_a_refused_dial() {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let outcome = grpc_check(addr, "", TIMEOUT).await;
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("failed to connect")),
        "{outcome:?}"
    );
    assert!(outcome.counts());
}

#[tokio::test]
async fn grpc_prober_probe_bounds_the_dial_and_the_rpc_by_one_timeout() {
    // The dial: a socket that accepts and never speaks HTTP/2.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    // The RPC: this library's health service on a check that takes 3 s.
    let health = Health::builder()
        .check(
            Check::new("slow", || async {
                tokio::time::sleep(Duration::from_secs(3)).await;
            })
            .timeout(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    let slow_addr = serve(Server::builder().add_service(health.grpc())).await;
    for (addr, service) in [(silent_addr, ""), (slow_addr, "slow")] {
        let began = Instant::now();
        let outcome = grpc_check(addr, service, TIMEOUT).await;
        assert_eq!(outcome, Outcome::TimedOut, "{service:?}");
        assert!(outcome.counts());
        assert!(
            began.elapsed() < TIMEOUT + Duration::from_millis(500),
            "{service:?}: {:?}",
            began.elapsed()
        );
    }
}

/// An HTTP/2 server that completes the handshake, takes every request (counted) and
/// never answers it: no headers, no trailers, no reset.
async fn never_answers() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    std::future::pending::<Result<hyper::Response<String>, Infallible>>()
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (addr, requests)
}

/// `grpcProber.Probe`: the one context of `timeoutSeconds` also bounds the `Check` RPC,
/// so an RPC the server took and never answers is a failure within the timeout.
#[tokio::test]
async fn grpc_prober_probe_fails_an_rpc_never_answered_within_the_timeout() {
    let (addr, requests) = never_answers().await;
    let began = Instant::now();
    let outcome = grpc_check(addr, "liveness", TIMEOUT).await;
    let took = began.elapsed();
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(outcome.counts() && !outcome.is_success());
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_millis(500),
        "{took:?}"
    );
    // The dial succeeded and the RPC reached the server: it is the call that timed out.
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// The example under the Deployment it prints for itself (`grpc_service probes kubernetes
/// --deployment`): `grpc:` probes on its gRPC port, which the simulator hands it as
/// `$GRPC_PORT`.
fn example(scale_ms: u64) -> Kubelet {
    let pod = Kubelet::from_service(binary("grpc_service"))
        .time_scale(Duration::from_millis(scale_ms))
        .env("RUST_LOG", "warn");
    let pod = captured(pod, "grpc_service");
    let container = pod.container();
    assert!(
        container
            .probes
            .iter()
            .all(|p| p.grpc.is_some() && p.path.is_none()),
        "{container:#?}"
    );
    pod
}

fn index_of(log: &Log, event: &Event) -> usize {
    log.position(|e| e == event)
        .unwrap_or_else(|| panic!("no {event:?} in\n{log}"))
}

fn not_serving(probe: Probe) -> Event {
    Event::Probed(probe, Outcome::Grpc(ServingStatus::NotServing))
}

/// `worker.doProbe` with a startup probe: the model loads over several startup periods
/// that answer NOT_SERVING, within the 60 s budget the example declares; liveness and
/// readiness wait for it, and nothing restarts the container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_load_survives_the_generated_grpc_probes() {
    // One manifest second lasts 100 ms: the 60 s budget is 6 s, the load 3.5 s.
    let pod = example(100).env("MODEL_LOAD_MS", 3_500).start();
    pod.wait_for("ready once the model loaded", BOUND, Log::ever_ready)
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills(), [], "{log}");
    assert_eq!(log.restarts(), 0, "{log}");
    let started = index_of(&log, &Event::Started);
    assert!(started < index_of(&log, &Event::Ready(true)), "{log}");
    // The load outlasted startup probes the service answered NOT_SERVING ...
    let waited = log.records[..started]
        .iter()
        .filter(|r| r.event == not_serving(Probe::Startup))
        .count();
    assert!(waited >= 2, "{waited} NOT_SERVING startup probes\n{log}");
    // ... while liveness and readiness were not probed yet.
    assert!(
        !log.records[..started].iter().any(|r| matches!(
            r.event,
            Event::Probed(Probe::Liveness | Probe::Readiness, _)
        )),
        "{log}"
    );
}

/// Guards the test above: the same probes restart a load that outlasts the budget
/// (`worker.doProbe`'s startup failure threshold, then `killContainer`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_load_past_the_budget_is_restarted_by_the_grpc_startup_probe() {
    let pod = example(50).env("MODEL_LOAD_MS", 60_000).start();
    pod.wait_for("a restart", BOUND, |log| !log.kills().is_empty())
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills()[0], Probe::Startup, "{log}");
    assert!(
        log.events().any(|e| *e == not_serving(Probe::Startup)),
        "{log}"
    );
}

/// A dependency outage: readiness (`service: readiness`) answers NOT_SERVING and the pod
/// leaves its Services; liveness (`service: liveness`) runs no dependency check and stays
/// SERVING, so the container is never restarted; the pod comes back once Redis does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_makes_the_grpc_pod_unready_and_never_restarts_it() {
    let redis = RedisServer::start();
    let pod = example(50)
        .env("MODEL_LOAD_MS", 200)
        .env("REDIS_URL", redis.url())
        .start();
    pod.wait_for("ready", BOUND, Log::ever_ready).await;

    redis.pause(); // SIGSTOP: PING hangs, the check times out after 1 s
    let log = pod
        .wait_for("out of traffic", BOUND, |log| {
            log.events().any(|e| *e == Event::Endpoints(false))
        })
        .await;
    let unready_at = log.records.len();
    let log = pod.run_for(Duration::from_secs(3)).await;
    redis.resume();
    pod.wait_for("back in traffic", BOUND, |log| {
        log.events()
            .skip(unready_at)
            .any(|e| *e == Event::Endpoints(true))
    })
    .await;
    let log_final = pod.stop().await;
    println!("{}", log_final.summary());

    assert_eq!(log_final.kills(), [], "{log_final}");
    assert!(
        !log_final
            .events()
            .any(|e| matches!(e, Event::ContainerStarted(n) if *n > 0)),
        "{log_final}"
    );
    assert!(
        log.outcomes(Probe::Liveness)
            .iter()
            .all(|o| **o == Outcome::Grpc(ServingStatus::Serving)),
        "{log}"
    );
    assert!(log.outcomes(Probe::Liveness).len() >= 3, "{log}");
    assert!(
        log.records[unready_at - 1..]
            .iter()
            .any(|r| r.event == not_serving(Probe::Readiness)),
        "{log}"
    );
}

/// Deletion (`kubectl delete pod`): the endpoints controller drops the pod at once; the
/// kubelet stops liveness and startup (`worker.doProbe` on a terminating pod) and goes on
/// with readiness, which sees NOT_SERVING during the drain; the service exits 0 within its
/// grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_the_grpc_readiness_not_serving_before_the_service_exits() {
    let pod = example(50).env("MODEL_LOAD_MS", 200).start();
    pod.wait_for("ready", BOUND, Log::ever_ready).await;
    let log = pod.delete().await;
    println!("{}", log.summary());

    let deleting = index_of(&log, &Event::Deleting);
    let sigterm = index_of(&log, &Event::Sigterm);
    let exited = index_of(&log, &Event::Exited(Some(0)));
    assert_eq!(
        log.records[deleting + 1].event,
        Event::Endpoints(false),
        "{log}"
    );
    assert!(deleting < sigterm && sigterm < exited, "{log}");
    assert!(
        log.records[sigterm..exited]
            .iter()
            .any(|r| r.event == not_serving(Probe::Readiness)),
        "{log}"
    );
    assert!(
        !log.records[deleting..]
            .iter()
            .any(|r| matches!(r.event, Event::Probed(Probe::Liveness | Probe::Startup, _))),
        "{log}"
    );
    assert!(!log.events().any(|e| *e == Event::Sigkill), "{log}");
    assert_eq!(log.kills(), [], "{log}");
}
