use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    // `/health` is where liveness is served unless moved.
    let _router: axum::Router = health_routes!(health, readiness = "/health");
}
