//! A tonic gRPC service with health: the quickstart's checks (a simulated two-second model
//! load, PostgreSQL and Redis when their URLs are set) answered over `grpc.health.v1` beside
//! the service's own RPC, and over the HTTP probes, from one `Health` handle.
//!
//! ```text
//! cargo run -p examples --example grpc_service
//! grpc_health_probe -addr=127.0.0.1:50051                    # "" = readiness: NOT_SERVING for ~2 s, then SERVING
//! grpc_health_probe -addr=127.0.0.1:50051 -service=liveness  # SERVING
//! grpcurl -plaintext -d '{"text":"hello"}' 127.0.0.1:50051 embed.v1.Embedder/Embed
//! curl -i localhost:8000/health/ready                        # the same readiness over HTTP
//! ```
//!
//! gRPC (health and `embed.v1.Embedder`) listens on `127.0.0.1:$GRPC_PORT` (default 50051),
//! the HTTP probes on `127.0.0.1:$PORT` (default 8000). The gRPC service names are `""`
//! (readiness), `liveness`, `readiness`, `startup` and each check's name: `embedding_model`,
//! `scratch_dir`, `cache_warm`, and `postgres` / `redis` with `DATABASE_URL` / `REDIS_URL`:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p examples --example grpc_service
//! ```
//!
//! Checks are refreshed in the background every second, which also drives `Watch`
//! streams: a dependency going down or coming back reaches a watcher within about a
//! second. On SIGTERM every gRPC service turns `NOT_SERVING` and readiness over HTTP
//! `shutting_down` at once; both servers stop after a one-second drain.
//!
//! Like the quickstart, it prints its own manifests and lints yours; only the YAML goes to
//! stdout. Its Kubernetes probes are `grpc:` probes on port 50051, each naming its service;
//! Azure Container Apps has no gRPC probe, so its probes call the HTTP routes on 8000:
//!
//! ```text
//! cargo run -p examples --example grpc_service -- probes kubernetes [--deployment]
//! cargo run -p examples --example grpc_service -- probes container-apps [--app]
//! cargo run -p examples --example grpc_service -- lint my-deployment.yaml
//! ```

mod embedder;

use std::net::SocketAddr;
use std::time::Duration;

use examples::quickstart;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Health, health_routes};
use tonic::transport::server::TcpIncoming;

use embedder::{Embedder, EmbedderServer};

#[tokio::main]
async fn main() {
    quickstart::init_logging();

    let health = quickstart::health(
        Health::builder()
            .drain_delay(Duration::from_secs(1))
            .background(Duration::from_secs(1)),
    );
    let config = deploy_config().drain_delay(health.drain_delay());
    if let Some(code) = run_command_from_env(&health.checks(), &config) {
        std::process::exit(code); // `probes ...` or `lint ...`: printed, not served
    }

    let http = tokio::net::TcpListener::bind(address("PORT", 8000))
        .await
        .unwrap_or_else(|error| panic!("cannot listen for HTTP: {error}"));
    let grpc = TcpIncoming::bind(address("GRPC_PORT", 50051))
        .unwrap_or_else(|error| panic!("cannot listen for gRPC: {error}"));
    tracing::info!(
        "gRPC on {} (grpc.health.v1.Health, embed.v1.Embedder), HTTP probes on http://{}",
        grpc.local_addr().expect("bound"),
        http.local_addr().expect("bound"),
    );

    // Initialisation finishes in the background; until then readiness is NOT_SERVING.
    quickstart::load_model(&health);

    let grpc_server = tonic::transport::Server::builder()
        .add_service(health.grpc())
        .add_service(EmbedderServer::new(Embedder::new(health.clone())))
        .serve_with_incoming_shutdown(grpc, health.shutdown_signal());
    let http_server = health_runtime::serve(http, health_routes!(health), &health)
        .shutdown_timeout(SHUTDOWN_TIMEOUT)
        .into_future();
    let (grpc_result, http_result) = tokio::join!(grpc_server, http_server);
    grpc_result.expect("gRPC server error");
    http_result.expect("HTTP server error");
}

/// `127.0.0.1:$variable`, or `127.0.0.1:default`.
fn address(variable: &str, default: u16) -> SocketAddr {
    let port = match std::env::var(variable) {
        Ok(port) => port
            .parse()
            .unwrap_or_else(|_| panic!("{variable}={port} is not a port number")),
        Err(_) => default,
    };
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// How long requests in flight may take once the drain delay is over.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the manifests need beyond the checks: gRPC health on 50051 (the Kubernetes probes
/// are `grpc:` ones there; Container Apps, which has no gRPC probe, calls the HTTP routes on
/// 8000); the model loads in about 2 s here, up to a minute on a cold node.
fn deploy_config() -> DeployConfig {
    DeployConfig::new()
        .name("grpc-service")
        .image("registry.example/grpc-service:0.1.0")
        .port(8000)
        .grpc_port(50051)
        .expected_startup(Duration::from_secs(60))
        .readiness_failure_threshold(1)
        .shutdown_timeout(SHUTDOWN_TIMEOUT)
}
