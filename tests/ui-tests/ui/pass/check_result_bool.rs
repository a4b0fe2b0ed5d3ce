//! `Result<bool, E>`: `Ok(true)` is healthy, `Ok(false)` unhealthy (503), never healthy
//! with `false` in its details.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn up() -> Result<bool, std::io::Error> {
    Ok(true)
}

#[health_check]
async fn down() -> Result<bool, std::io::Error> {
    Ok(false)
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [up]), &["up"]);

    let app = serve::Server::new(health_routes!(health));
    let (status, body) = app.get("/health/ready");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["down"]["healthy"], false);
    assert_eq!(body["checks"]["down"]["error"], "check returned false");
    assert!(body["checks"]["down"].get("details").is_none(), "{body}");
    assert_eq!(body["checks"]["up"]["healthy"], true);
    assert_eq!(app.get("/health/ready/down").0, 503);
}
