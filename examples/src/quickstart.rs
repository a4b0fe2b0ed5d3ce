//! The quickstart's service apart from its transport, which the `grpc_service` example
//! serves over gRPC too: its checks (a model that loads two seconds after start, a scratch
//! directory, a cache warm-up, and PostgreSQL and Redis when `DATABASE_URL` and `REDIS_URL`
//! name them) and its logging. Its `#[health_check]`s are linked into the binaries that use
//! this module, and only those.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use health_runtime::{CheckOutcome, DetailsPolicy, Health, HealthBuilder, checks, health_check};

/// Logs to stderr, so that `probes ...` prints nothing but YAML on stdout; `RUST_LOG`
/// filters (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// The handle over the checks, with the PostgreSQL and Redis ones when their URLs are set;
/// with `HEALTH_TOKEN` set, the checks are shown only to holders of that token.
pub fn health(builder: HealthBuilder) -> Health {
    let (mut builder, redis) = with_dependencies(builder);
    if let Ok(token) = std::env::var("HEALTH_TOKEN") {
        builder = builder
            .secret(token.clone())
            .details(DetailsPolicy::full_with_token(token));
    }
    let health = builder.build().expect("valid health configuration");
    if let Some(redis) = redis {
        health.provide(redis);
    }
    health
}

/// Stands in for a model that takes a while to load.
pub struct EmbeddingModel {
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

/// Loads the model in the background, in two seconds or `$MODEL_LOAD_MS` milliseconds:
/// until then the model's check reports "EmbeddingModel not initialised", and startup and
/// readiness fail.
pub fn load_model(health: &Health) {
    let delay = match std::env::var("MODEL_LOAD_MS") {
        Ok(ms) => Duration::from_millis(
            ms.parse()
                .unwrap_or_else(|_| panic!("MODEL_LOAD_MS={ms} is not a number of milliseconds")),
        ),
        Err(_) => Duration::from_secs(2),
    };
    let health = health.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        health.provide(EmbeddingModel {
            loaded_at: Instant::now(),
        });
        tracing::info!("embedding model loaded");
    });
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
