//! The reference article's AI service, its whole table of checks: readiness over
//! PostgreSQL (`SELECT 1`, 2 s), Redis (`PING`, 1 s), Azure OpenAI (`GET
//! {endpoint}/openai/models?api-version=2024-10-21` with `api-key`, the documented route;
//! or OpenAI's `GET /v1/models` with a bearer token; 3 s) and Azure Service Bus (peek 0
//! messages, 2 s); startup and readiness over an embedding model that takes a few seconds
//! to load.
//!
//! ```text
//! DATABASE_URL=postgres://app:secret@127.0.0.1/app \
//! REDIS_URL=redis://127.0.0.1:6379 \
//! AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com \
//! AZURE_OPENAI_API_KEY=... \
//! SERVICEBUS_CONNECTION_STRING='Endpoint=sb://my-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=...;EntityPath=jobs' \
//! cargo run -p examples --example ai_service --features ai-service
//!
//! curl -i localhost:8000/health/started   # 503 "starting" while the model loads (~3 s)
//! curl -i localhost:8000/health/ready     # every dependency, each within its timeout
//! ```
//!
//! Every variable is optional: a dependency that is not configured is reported as such
//! (`"DATABASE_URL not configured"`), and the service still starts.
//!
//! Without keys, the Azure dependencies are reached with the service's Entra ID identity
//! (managed identity on Container Apps, workload identity on AKS): `AZURE_OPENAI_ENDPOINT`
//! without `AZURE_OPENAI_API_KEY` sends a bearer token for
//! `https://cognitiveservices.azure.com/.default` (role `Cognitive Services OpenAI User`),
//! and `SERVICEBUS_NAMESPACE` (`my-ns.servicebus.windows.net`) with `SERVICEBUS_QUEUE` (or
//! a `SERVICEBUS_CONNECTION_STRING` without a key) puts a token for `https://servicebus.azure.net/.default` on `$cbs` (role `Azure Service
//! Bus Data Receiver`).
//! `AZURE_OPENAI_API_VERSION` picks another API version; `OPENAI_API_KEY` (and
//! `OPENAI_BASE_URL`) check OpenAI itself when no Azure resource is set. Listens on
//! `127.0.0.1:8000`, or on `$PORT`.
//!
//! What it fixes in the article's code: the HTTP client is built once at startup, not on
//! every probe; each check's timeout bounds the whole check (connection included); and no
//! credential from a URL or header reaches a probe response.

mod config;
mod dependencies;
mod model;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Health, health_routes};

use crate::config::Config;

#[tokio::main]
async fn main() {
    // `ai_service probes kubernetes|container-apps`, `ai_service lint <file>`, `--help`: the
    // manifests come from the checks (examples/deploy/ holds them, kept in sync by a test),
    // and run before logging starts, so stdout carries nothing but them.
    let health = health();
    if let Some(code) = run_command_from_env(&health.checks(), &deploy_config(&health)) {
        std::process::exit(code);
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = Config::from_env();
    let app = Router::new()
        .route("/", get(|| async { "AI service\n" }))
        .merge(health_routes!(health));

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_owned());
    let address = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .unwrap_or_else(|error| panic!("cannot listen on {address}: {error}"));
    tracing::info!("listening on http://{address} (try /health, /health/started, /health/ready)");

    // The probes answer from the first moment; the dependencies and the model arrive as
    // they become available.
    dependencies::connect(&health, &config);
    model::load_in_background(&health);

    // The default bound on shutdown (25 s after the drain delay) is the one the manifests'
    // grace period allows for.
    health_runtime::serve(listener, app, &health)
        .await
        .expect("server error");
}

/// The health handle over the `#[health_check]`s of [`dependencies`] and [`model`].
fn health() -> Health {
    Health::builder()
        .drain_delay(Duration::from_secs(5))
        .build()
        .expect("valid health configuration")
}

/// The article's five-minute startup allowance and two readiness failures; timeouts,
/// periods and the grace period follow from the checks and the drain delay.
fn deploy_config(health: &Health) -> DeployConfig {
    DeployConfig::new()
        .name("ai-service")
        .image("myregistry.azurecr.io/ai-service:latest")
        .expected_startup(Duration::from_secs(300))
        .readiness_failure_threshold(2)
        .drain_delay(health.drain_delay())
}
