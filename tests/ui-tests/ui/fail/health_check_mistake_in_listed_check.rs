// A check with a mistake is still a check to `health_routes!`: only the mistake is reported.
use health_runtime::{health_check, health_routes, Health};

#[health_check(timeout_ms = 0)]
async fn postgres() {}

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, checks = [postgres]);
}
