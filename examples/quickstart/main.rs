//! The smallest complete service: three checks that need no external service, one of them
//! on a resource that becomes available after a simulated two-second initialisation.
//!
//! ```text
//! cargo run -p examples --example quickstart
//! curl -i localhost:8000/health/started   # 503 "starting" for ~2 s, then 200 "started"
//! curl -i localhost:8000/health/ready     # 503 "not_ready" until started, then 200 "ready"
//! ```
//!
//! Listens on `127.0.0.1:8000`, or on `$PORT`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use health_runtime::{CheckOutcome, Health, health_check, health_routes};

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

    let health = Health::builder()
        .drain_delay(Duration::from_secs(1))
        .build()
        .expect("valid health configuration");
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
