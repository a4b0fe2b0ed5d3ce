//! The README's headline check, verbatim: a function named `redis`, like the client crate
//! its body calls. Served against a private `redis-server`.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};
use redis::aio::ConnectionManager;

#[health_check(name = "redis", timeout_ms = 1000, probe = "readiness")]
async fn redis(conn: &ConnectionManager) -> redis::RedisResult<()> {
    redis::cmd("PING").query_async(&mut conn.clone()).await
}

fn main() {
    let server = ui_tests::RedisServer::start();
    let health = Health::new();
    let app = serve::Server::new(health_routes!(health, checks = [redis]));
    let (status, body) = app.get("/health/ready");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["redis"]["error"], "ConnectionManager not initialised");

    let conn = app.block_on(async {
        let client = redis::Client::open(server.url()).unwrap();
        client.get_connection_manager().await.unwrap()
    });
    health.provide(conn);
    app.assert_ready(&["redis"]);
}
