//! The embedding model: loaded once at startup (a few seconds, simulated here), then kept
//! in memory. Its check does no I/O: the model being there is the check.

use std::time::{Duration, Instant};

use health_runtime::{CheckOutcome, Health, health_check};

/// How long the simulated load takes.
pub const LOAD_TIME: Duration = Duration::from_secs(3);

/// A loaded embedding model.
pub struct EmbeddingModel {
    name: &'static str,
    dimensions: usize,
    loaded_at: Instant,
}

/// Startup and readiness: `/health/started` answers 503 until the model is provided.
#[health_check(name = "embedding_model", probe = ["startup", "readiness"])]
async fn embedding_model(model: &EmbeddingModel) -> CheckOutcome {
    CheckOutcome::healthy()
        .with_detail("model", model.name)
        .with_detail("dimensions", model.dimensions)
        .with_detail("loaded_for_s", model.loaded_at.elapsed().as_secs())
}

/// Loads the model off the request path and provides it when done.
pub fn load_in_background(health: &Health) {
    let health = health.clone();
    tokio::spawn(async move {
        tracing::info!(?LOAD_TIME, "loading the embedding model");
        tokio::time::sleep(LOAD_TIME).await;
        health.provide(EmbeddingModel {
            name: "text-embedding-3-small",
            dimensions: 1536,
            loaded_at: Instant::now(),
        });
        tracing::info!("embedding model loaded");
    });
}
