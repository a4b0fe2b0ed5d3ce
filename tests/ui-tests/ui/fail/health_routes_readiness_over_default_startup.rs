// `/health/started` (the default startup path) is under the new readiness path.
use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, liveness = "/live", readiness = "/health");
}
