use health_runtime::{health_check, health_routes, Health};

#[health_check]
async fn postgres() {}

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, checks = [postgress]);
}
