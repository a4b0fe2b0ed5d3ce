use health_runtime::{health_routes, Health};

const POSTGRES: &str = "postgres";

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, checks = [POSTGRES]);
}
