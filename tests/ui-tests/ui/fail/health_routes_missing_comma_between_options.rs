use health_runtime::{health_routes, Health};

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, readiness = "/readyz" startup = "/startupz");
}
