// Syntax slips and other mistakes in one invocation: each one is reported.
use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, readiness: "/readyz", startup = , checks = [], tags = "db", livenes = "/live");
}
