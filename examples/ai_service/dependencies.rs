//! The external dependencies and their readiness checks: each is a resource provided at
//! startup (holding `None` when it is not configured), and each check is one line over a
//! built-in of `health_runtime::checks`.

use std::time::Duration;

use health_runtime::checks::{self, HttpTarget};
use health_runtime::{CheckOutcome, Health, health_check};
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::config::{Config, OpenAiConfig};

/// The Azure OpenAI API version the deployment list is requested with.
pub const OPENAI_API_VERSION: &str = "2024-12-01-preview";

/// The PostgreSQL pool, when `DATABASE_URL` is set.
pub struct Database(Option<PgPool>);

/// The Redis connection, when `REDIS_URL` is set.
pub struct Redis(Option<ConnectionManager>);

/// The OpenAI endpoint: one HTTP client for the process, and the request its check sends.
pub struct OpenAi(Option<(reqwest::Client, HttpTarget)>);

#[health_check(name = "database", timeout_ms = 2000, probe = "readiness")]
async fn database(db: &Database) -> CheckOutcome {
    match &db.0 {
        Some(pool) => checks::sqlx::select_one(pool).await,
        None => CheckOutcome::unhealthy("DATABASE_URL not configured"),
    }
}

#[health_check(name = "redis", timeout_ms = 1000, probe = "readiness")]
async fn cache(cache: &Redis) -> CheckOutcome {
    match &cache.0 {
        Some(conn) => checks::redis::ping(&mut conn.clone()).await,
        None => CheckOutcome::unhealthy("REDIS_URL not configured"),
    }
}

#[health_check(name = "openai", timeout_ms = 3000, probe = "readiness")]
async fn openai(openai: &OpenAi) -> CheckOutcome {
    match &openai.0 {
        Some((client, target)) => checks::reqwest::get(client, target).await,
        None => {
            CheckOutcome::unhealthy("AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_API_KEY not configured")
        }
    }
}

/// Provides every dependency: at once when it needs no I/O or is not configured, in the
/// background otherwise (until then its check reports `"<Type> not initialised"`).
pub fn connect(health: &Health, config: &Config) {
    health.provide(OpenAi(config.openai.as_ref().map(openai_client)));
    health.provide(Database(
        config.database_url.as_deref().and_then(database_pool),
    ));
    match config.redis_url.clone() {
        None => {
            health.provide(Redis(None));
        }
        Some(url) => {
            let health = health.clone();
            tokio::spawn(async move { connect_redis(&health, &url).await });
        }
    }
}

/// A lazy pool: it connects on first use, so the service starts while the database is
/// still down, and the check reports why.
fn database_pool(url: &str) -> Option<PgPool> {
    match PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(url)
    {
        Ok(pool) => Some(pool),
        Err(error) => {
            tracing::error!(error = %health_runtime::redact(&error.to_string()), "invalid DATABASE_URL");
            None
        }
    }
}

/// Retries until Redis answers once; from then on the manager reconnects by itself.
async fn connect_redis(health: &Health, url: &str) {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(error = %health_runtime::redact(&error.to_string()), "invalid REDIS_URL");
            return;
        }
    };
    let mut delay = Duration::from_millis(500);
    loop {
        match ConnectionManager::new(client.clone()).await {
            Ok(manager) => {
                health.provide(Redis(Some(manager)));
                tracing::info!("redis connected");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?delay, "redis not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// The client is built once here; every probe reuses it and its connections.
fn openai_client(config: &OpenAiConfig) -> (reqwest::Client, HttpTarget) {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("an HTTP client with the platform's TLS roots");
    let target = HttpTarget::get(format!(
        "{}/openai/deployments?api-version={OPENAI_API_VERSION}",
        config.endpoint
    ))
    .header("api-key", &config.api_key);
    (client, target)
}
