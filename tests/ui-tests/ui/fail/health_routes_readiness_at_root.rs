// Every path of the app would be a single-check route of readiness.
use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, readiness = "/", liveness = "/live", startup = "/started");
}
