//! The external dependencies and their readiness checks: each is a resource provided at
//! startup (holding `None` when it is not configured), and each check is one line over a
//! built-in of `health_runtime::checks`.

use std::time::Duration;

use health_runtime::checks::azure_identity::AzureCredential;
use health_runtime::checks::fe2o3_amqp::ServiceBus;
use health_runtime::checks::{self, HttpTarget};
use health_runtime::{CheckOutcome, Health, health_check};
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::config::{Config, OpenAiConfig, ServiceBusConfig};

/// The PostgreSQL pool, when `DATABASE_URL` is set.
pub struct Database(Option<PgPool>);

/// The Redis connection, when `REDIS_URL` is set.
pub struct Redis(Option<ConnectionManager>);

/// The OpenAI endpoint: one HTTP client for the process, and the request its check sends
/// (or why there is none: no Entra ID credential in this environment).
pub struct OpenAi(Option<Result<(reqwest::Client, HttpTarget), String>>);

/// The Service Bus queue, when `SERVICEBUS_CONNECTION_STRING` (or `SERVICEBUS_NAMESPACE`
/// and `SERVICEBUS_QUEUE`) is set: the queue, or why the connection string was not
/// accepted (which never quotes its key) or no identity was found.
pub struct Queue(Option<Result<ServiceBus, String>>);

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
        Some(Ok((client, target))) => checks::reqwest::get(client, target).await,
        Some(Err(no_identity)) => CheckOutcome::unhealthy(no_identity.clone()),
        None => CheckOutcome::unhealthy(
            "AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_API_KEY (or OPENAI_API_KEY) not configured",
        ),
    }
}

/// The reference article's "peek 0 messages": authorised on `$cbs` (with the key, or an
/// Entra ID token of the service's identity), one message peeked through `$management`,
/// nothing consumed.
#[health_check(name = "servicebus", timeout_ms = 2000, probe = "readiness")]
async fn servicebus(queue: &Queue) -> CheckOutcome {
    match &queue.0 {
        Some(Ok(bus)) => checks::fe2o3_amqp::peek(bus).await,
        Some(Err(invalid)) => CheckOutcome::unhealthy(invalid.clone()),
        None => CheckOutcome::unhealthy("SERVICEBUS_CONNECTION_STRING not configured"),
    }
}

/// Provides every dependency: at once when it needs no I/O or is not configured, in the
/// background otherwise (until then its check reports `"<Type> not initialised"`).
pub fn connect(health: &Health, config: &Config) {
    // A dependency configured without a key is reached with the identity the platform
    // gives the service (managed identity on Container Apps, workload identity on AKS).
    let identity = config.uses_identity().then(|| {
        let credential = AzureCredential::from_environment().map_err(|error| error.to_string())?;
        // Its tokens are scrubbed from every report and log line as they are fetched.
        credential.redact_in(health.secrets());
        tracing::info!(source = credential.source(), "authenticating with Entra ID");
        Ok::<_, String>(credential)
    });
    let credential = || match &identity {
        Some(Ok(credential)) => Ok(credential),
        Some(Err(error)) => Err(error.clone()),
        None => Err("no Entra ID credential".to_owned()),
    };
    if let Some(key) = config.openai.as_ref().and_then(OpenAiConfig::api_key) {
        health.secret(key);
    }
    health.provide(OpenAi(config.openai.as_ref().map(|openai| {
        let credential = if openai.uses_identity() {
            Some(credential()?)
        } else {
            None
        };
        Ok((openai_client(), openai.target(credential)?))
    })));
    health.provide(Queue(config.servicebus.as_ref().map(|servicebus| {
        match servicebus {
            ServiceBusConfig::Key(text) => {
                let bus =
                    ServiceBus::from_connection_string(text).map_err(|error| error.to_string())?;
                // Its key is scrubbed from every report and log line, wherever it appears.
                health.secret(bus.secret());
                Ok(bus)
            }
            ServiceBusConfig::Identity { namespace, queue } => {
                Ok(ServiceBus::with_identity(namespace, queue, credential()?))
            }
            ServiceBusConfig::IdentityString(text) => {
                ServiceBus::from_connection_string_with_identity(text, credential()?)
                    .map_err(|error| error.to_string())
            }
        }
    })));
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
            tracing::error!(error = %health_runtime::redact::redact(&error.to_string()), "invalid DATABASE_URL");
            None
        }
    }
}

/// Retries until Redis answers once; from then on the manager reconnects by itself.
async fn connect_redis(health: &Health, url: &str) {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(error = %health_runtime::redact::redact(&error.to_string()), "invalid REDIS_URL");
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
fn openai_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .build()
        .expect("an HTTP client with the platform's TLS roots")
}
