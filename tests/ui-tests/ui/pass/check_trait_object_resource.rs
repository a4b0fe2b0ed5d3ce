//! A resource behind a trait, as the `&dyn Trait` advice says: the check takes
//! `&Arc<dyn Cache + Send + Sync>` and the app provides that very type. Resources are found
//! by their exact type, so the `Arc` of the concrete type is not it.

#[path = "../support/serve.rs"]
mod serve;

use std::sync::Arc;

use health_runtime::{Health, health_check, health_routes};

trait Cache {
    fn ping(&self) -> bool;
}

struct Redis;

impl Cache for Redis {
    fn ping(&self) -> bool {
        true
    }
}

#[health_check]
async fn cache(cache: &Arc<dyn Cache + Send + Sync>) -> bool {
    cache.ping()
}

fn main() {
    let health = Health::new();

    // The concrete type is another resource: the check's is not initialised.
    health.provide(Arc::new(Redis));
    let app = serve::Server::new(health_routes!(health));
    let (status, body) = app.get("/health/ready");
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["checks"]["cache"]["error"],
        "Arc<dyn Cache + Send + Sync> not initialised",
        "{body}"
    );

    health.provide(Arc::new(Redis) as Arc<dyn Cache + Send + Sync>);
    serve::assert_ready(health_routes!(health), &["cache"]);
}
