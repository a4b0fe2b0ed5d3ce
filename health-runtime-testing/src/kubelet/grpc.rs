//! One gRPC probe as the kubelet runs it: `pkg/probe/grpc/grpc.go` (`grpcProber.Probe`).
//!
//! The kubelet dials the container's address without TLS (`WithInsecure`, blocking until
//! connected), calls `grpc.health.v1.Health/Check` with the probe's `service` (`""` when the
//! manifest names none), and bounds the dial and the call together by one context of
//! `timeoutSeconds`. `SERVING` is a success; any other status, a failed dial, a timeout or
//! an RPC error (`UNIMPLEMENTED` included) is a failure. It never returns a prober error,
//! so `runProbeWithRetries` never retries and no result is thrown away.

use std::net::SocketAddr;
use std::time::Duration;

use super::outcome::{Outcome, ServingStatus};

#[cfg(feature = "grpc")]
use super::http::USER_AGENT;

/// `Check` of `service` on `addr` as the kubelet's gRPC prober does: a fresh plaintext
/// HTTP/2 connection, the kubelet's `User-Agent`, one deadline of `timeout` over the dial
/// and the RPC (also sent to the server as `grpc-timeout`).
///
/// ```no_run
/// # async fn doc() {
/// use std::time::Duration;
/// use health_runtime_testing::kubelet::{Outcome, ServingStatus, grpc_check};
///
/// let outcome = grpc_check("127.0.0.1:50051".parse().unwrap(), "liveness", Duration::from_secs(1)).await;
/// assert_eq!(outcome, Outcome::Grpc(ServingStatus::Serving));
/// assert!(outcome.is_success());
/// # }
/// ```
#[cfg(feature = "grpc")]
pub async fn grpc_check(addr: SocketAddr, service: &str, timeout: Duration) -> Outcome {
    use tonic::transport::Endpoint;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let deadline = tokio::time::Instant::now() + timeout;
    let probe = async {
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .and_then(|endpoint| endpoint.user_agent(USER_AGENT))
            .map_err(|error| Outcome::Error(format!("error: bad address {addr}: {error}")))?;
        let channel = endpoint.connect().await.map_err(|error| {
            Outcome::Error(format!(
                "error: failed to connect service at \"{addr}\": {error}"
            ))
        })?;
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: service.to_owned(),
        });
        request.set_timeout(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let response = HealthClient::new(channel)
            .check(request)
            .await
            .map_err(|status| match status.code() {
                // The server's DEADLINE_EXCEEDED, or tonic's own end of the `grpc-timeout`.
                tonic::Code::DeadlineExceeded => Outcome::TimedOut,
                tonic::Code::Cancelled if tokio::time::Instant::now() >= deadline => {
                    Outcome::TimedOut
                }
                code => Outcome::Error(format!(
                    "error: health rpc probe failed: rpc error: code = {code:?} desc = {}",
                    status.message()
                )),
            })?;
        Ok(ServingStatus::from_wire(response.into_inner().status))
    };
    match tokio::time::timeout_at(deadline, probe).await {
        Err(_) => Outcome::TimedOut,
        Ok(Err(outcome)) => outcome,
        Ok(Ok(status)) => Outcome::Grpc(status),
    }
}

/// Without the `grpc` feature there is no gRPC client: every gRPC probe is thrown away
/// (a pod refuses to start such a manifest first).
#[cfg(not(feature = "grpc"))]
pub(crate) async fn grpc_check(_addr: SocketAddr, _service: &str, _timeout: Duration) -> Outcome {
    let _ = ServingStatus::Unknown;
    Outcome::Discarded("no gRPC client without the `grpc` feature".to_owned())
}
