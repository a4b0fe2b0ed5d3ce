use health_runtime::{health_routes, Health};

async fn postgres() {}

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, checks = [postgres]);
}
