//! The smallest complete service: three checks that need no external service, one of them
//! on a resource that becomes available after a simulated two-second initialisation.
//!
//! ```text
//! cargo run -p examples --example quickstart
//! curl -i localhost:8000/health/started   # 503 "starting" for ~2 s, then 200 "started"
//! curl -i localhost:8000/health/ready     # 503 "not_ready" until started, then 200 "ready"
//! ```
//!
//! Listens on `127.0.0.1:8000`, or on `$PORT`. With `DATABASE_URL` and/or `REDIS_URL` set,
//! it also checks that PostgreSQL (`SELECT 1`, 2000 ms) and Redis (`PING`, 1000 ms) answer:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p examples --example quickstart
//! ```
//!
//! It also prints its own probe manifests, generated from its checks, and lints yours
//! (`examples/deploy/` holds the output, kept in sync by this file's test):
//!
//! ```text
//! cargo run -p examples --example quickstart -- probes kubernetes
//! cargo run -p examples --example quickstart -- probes container-apps
//! cargo run -p examples --example quickstart -- lint my-deployment.yaml
//! ```

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{CheckOutcome, Health, HealthBuilder, checks, health_check, health_routes};

/// Stands in for a model that takes a while to load.
struct EmbeddingModel {
    loaded_at: Instant,
}

/// Startup and readiness: the model is loaded once the resource is provided.
#[health_check(name = "embedding_model", probe = ["startup", "readiness"])]
async fn embedding_model(model: &EmbeddingModel) -> CheckOutcome {
    CheckOutcome::healthy().with_detail("loaded_for_s", model.loaded_at.elapsed().as_secs())
}

/// Readiness: the scratch directory the service writes to is there.
#[health_check(name = "scratch_dir", timeout_ms = 500)]
async fn scratch_dir() -> std::io::Result<()> {
    tokio::fs::metadata(std::env::temp_dir()).await.map(|_| ())
}

/// Readiness, non-critical: a cache warm-up that may lag without taking the pod out.
#[health_check(name = "cache_warm", critical = false, tags = ["cache"])]
async fn cache_warm() -> bool {
    true
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let (builder, redis) = with_dependencies(Health::builder().drain_delay(Duration::from_secs(1)));
    let health = builder.build().expect("valid health configuration");
    if let Some(redis) = redis {
        health.provide(redis);
    }
    if let Some(code) = run_command_from_env(&health.checks(), &deploy_config()) {
        std::process::exit(code); // `probes ...` or `lint ...`: printed, not served
    }
    let app = Router::new()
        .route("/", get(|| async { "hello from the quickstart\n" }))
        .merge(health_routes!(health));

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_owned());
    let address = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .unwrap_or_else(|error| panic!("cannot listen on {address}: {error}"));
    tracing::info!("listening on http://{address} (try /health, /health/started, /health/ready)");

    // Initialisation finishes in the background; until then startup answers 503.
    let loader = health.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        loader.provide(EmbeddingModel {
            loaded_at: Instant::now(),
        });
        tracing::info!("embedding model loaded");
    });

    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
        .await
        .expect("server error");
}

/// The PostgreSQL and Redis checks, for the servers named by `DATABASE_URL` and `REDIS_URL`.
/// Each run opens a fresh connection, so the checks recover as soon as a server does; the
/// Redis client is returned to be provided as the check's resource.
fn with_dependencies(mut builder: HealthBuilder) -> (HealthBuilder, Option<redis::Client>) {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        match url.parse::<tokio_postgres::Config>() {
            Ok(config) => {
                let check = checks::tokio_postgres::check_connect(
                    "postgres",
                    config,
                    tokio_postgres::NoTls,
                );
                builder = builder.check(check.timeout(Duration::from_millis(2000)));
                tracing::info!("DATABASE_URL set: checking PostgreSQL");
            }
            Err(error) => {
                tracing::warn!(%error, "DATABASE_URL is not a PostgreSQL URL; not checked")
            }
        }
    }
    let mut redis = None;
    if let Ok(url) = std::env::var("REDIS_URL") {
        match redis::Client::open(url.as_str()) {
            Ok(client) => {
                builder = builder.check(
                    checks::redis::check_client("redis").timeout(Duration::from_millis(1000)),
                );
                redis = Some(client);
                tracing::info!("REDIS_URL set: checking Redis");
            }
            Err(error) => tracing::warn!(%error, "REDIS_URL is not a Redis URL; not checked"),
        }
    }
    (builder, redis)
}

/// What the probe manifests need beyond the checks: the model loads in about 2 s.
fn deploy_config() -> DeployConfig {
    DeployConfig::new().expected_startup(Duration::from_secs(10))
}
