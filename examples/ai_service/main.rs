//! The reference article's AI service: readiness over PostgreSQL (`SELECT 1`, 2 s), Redis
//! (`PING`, 1 s) and an Azure OpenAI-compatible endpoint (`GET
//! {endpoint}/openai/deployments?api-version=...` with `api-key`, 3 s); startup and
//! readiness over an embedding model that takes a few seconds to load.
//!
//! ```text
//! DATABASE_URL=postgres://app:secret@127.0.0.1/app \
//! REDIS_URL=redis://127.0.0.1:6379 \
//! AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com \
//! AZURE_OPENAI_API_KEY=... \
//! cargo run -p examples --example ai_service --features ai-service
//!
//! curl -i localhost:8000/health/started   # 503 "starting" while the model loads (~3 s)
//! curl -i localhost:8000/health/ready     # every dependency, each within its timeout
//! ```
//!
//! Every variable is optional: a dependency that is not configured is reported as such
//! (`"DATABASE_URL not configured"`), and the service still starts. Listens on
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
use health_runtime::{Health, health_routes};

use crate::config::Config;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = Config::from_env();
    let health = health();
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

    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
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
