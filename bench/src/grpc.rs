//! The gRPC figure of `scripts/bench`: `grpc.health.v1.Health/Check` answered by
//! `Health::grpc` over real, cached checks, against tonic-health's own `HealthReporter`
//! answering a status set by hand. `scripts/bench` loads both with `h2load`.
//!
//! ```text
//! bench-grpc serve --port BASE --pg URL --redis URL
//! bench-grpc verify --addr HOST:PORT [--calls 100]
//! ```
//!
//! | port | serves |
//! |---|---|
//! | BASE | the library: `health.grpc()` over PostgreSQL `SELECT 1` and Redis `PING`, cached 1 s |
//! | BASE+1 | the baseline: tonic-health's `health_reporter()`, `""` set to SERVING |
//!
//! `verify` calls `Check("")` through tonic's client and exits 1 unless every call answers
//! SERVING: `h2load` counts HTTP statuses, and a gRPC error is an HTTP 200 too.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::grpc::pb::{HealthCheckRequest, ServingStatus};
use health_runtime::{Health, checks};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sqlx::postgres::PgPoolOptions;
use tonic::transport::{Channel, Server};
use tonic_health::pb::health_client::HealthClient;

/// The cache TTL of the library's checks: readiness is served from the cache in between.
const TTL: Duration = Duration::from_secs(1);
/// Every check's timeout.
const TIMEOUT: Duration = Duration::from_millis(1000);

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        let at = argv.iter().position(|arg| arg == name)?;
        Some(
            argv.get(at + 1)
                .unwrap_or_else(|| panic!("{name} needs a value"))
                .clone(),
        )
    };
    // One worker: the driver pins each process to one core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match argv.first().map(String::as_str) {
        Some("serve") => {
            let port = value("--port").expect("--port").parse().expect("a port");
            let pg = value("--pg").expect("--pg URL");
            let redis = value("--redis").expect("--redis URL");
            runtime.block_on(serve(port, &pg, &redis));
        }
        Some("verify") => {
            let addr = value("--addr").expect("--addr").parse().expect("HOST:PORT");
            let calls = number(value("--calls"), 100);
            if let Err(error) = runtime.block_on(verify(addr, calls)) {
                eprintln!("{addr}: {error}");
                std::process::exit(1);
            }
        }
        _ => panic!(
            "usage: bench-grpc serve --port BASE --pg URL --redis URL | load --addr HOST:PORT"
        ),
    }
}

fn number<T: std::str::FromStr>(value: Option<String>, default: T) -> T {
    value.map_or(default, |v| {
        v.parse().unwrap_or_else(|_| panic!("{v} is not a number"))
    })
}

async fn serve(port: u16, pg: &str, redis: &str) {
    let library = library(pg, redis).await;
    let (_reporter, baseline) = tonic_health::server::health_reporter();
    let library = Server::builder()
        .add_service(library.grpc())
        .serve(SocketAddr::from(([127, 0, 0, 1], port)));
    let baseline = Server::builder()
        .add_service(baseline)
        .serve(SocketAddr::from(([127, 0, 0, 1], port + 1)));
    let (library, baseline) = tokio::join!(library, baseline);
    library.expect("serve the library");
    baseline.expect("serve the baseline");
}

/// PostgreSQL `SELECT 1` and Redis `PING`, the built-in checks, cached for [`TTL`].
async fn library(pg: &str, redis: &str) -> Health {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(pg)
        .await
        .expect("connect to PostgreSQL");
    let client = redis::Client::open(redis).expect("a Redis URL");
    let config = ConnectionManagerConfig::new().set_response_timeout(None);
    let connection = ConnectionManager::new_with_config(client, config)
        .await
        .expect("connect to Redis");
    Health::builder()
        .without_registered()
        .check(checks::sqlx::check_with("postgres", pool).timeout(TIMEOUT))
        .check(checks::redis::check_with("redis", connection).timeout(TIMEOUT))
        .cache_ttl(TTL)
        .build()
        .expect("valid checks")
}

/// `calls` calls of `Check("")`, each of which must answer SERVING.
async fn verify(addr: SocketAddr, calls: usize) -> Result<(), String> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut client = HealthClient::new(channel);
    let serving = i32::from(ServingStatus::Serving);
    for _ in 0..calls {
        let request = HealthCheckRequest::default();
        let response = client.check(request).await.map_err(|e| e.to_string())?;
        if response.get_ref().status != serving {
            return Err(format!("answered {:?}, not SERVING", response.get_ref()));
        }
    }
    Ok(())
}
