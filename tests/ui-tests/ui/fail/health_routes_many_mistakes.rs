// Several unrelated mistakes in one invocation: every one is reported in the same pass.
use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(
        health,
        livenes = "/live",
        readiness = "ready",
        startup = "/health/started/",
        tags = ["DB"],
    );
}
