//! The gRPC prober (`kubelet::grpc_check`, the kubelet's `grpcProber.Probe`) against
//! tonic-health's own server.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime_testing::kubelet::{Outcome, ServingStatus, grpc_check};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus as Reported;

const TIMEOUT: Duration = Duration::from_secs(1);

#[tokio::test]
async fn serving_is_the_only_success_and_an_unknown_service_fails() {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("liveness", Reported::Serving)
        .await;
    reporter.set_service_status("", Reported::NotServing).await;
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming),
    );

    assert_eq!(
        grpc_check(addr, "liveness", TIMEOUT).await,
        Outcome::Grpc(ServingStatus::Serving)
    );
    let not_serving = grpc_check(addr, "", TIMEOUT).await;
    assert_eq!(not_serving, Outcome::Grpc(ServingStatus::NotServing));
    assert!(!not_serving.is_success() && not_serving.counts());
    let unknown = grpc_check(addr, "nope", TIMEOUT).await;
    assert!(
        matches!(&unknown, Outcome::Error(e) if e.contains("NotFound")),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_refused_dial_and_a_silent_socket_fail_within_the_timeout() {
    let closed: SocketAddr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let refused = grpc_check(closed, "", TIMEOUT).await;
    assert!(
        matches!(&refused, Outcome::Error(e) if e.contains("failed to connect")),
        "{refused:?}"
    );

    // Accepts (the kernel does, from the backlog) and never speaks HTTP/2.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let began = std::time::Instant::now();
    let outcome = grpc_check(silent.local_addr().unwrap(), "", TIMEOUT).await;
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(
        began.elapsed() < TIMEOUT + Duration::from_millis(500),
        "{:?}",
        began.elapsed()
    );
}
