//! Two resources of one type told apart by a newtype: a primary pool on a private
//! PostgreSQL the test starts and a "replica" pool whose server is down, each checked by
//! the built-in check over its own type, through a real listening server.

use health_runtime::{Health, checks};
use sqlx::PgPool;
use tests::http::TestServer;
use tests::postgres_server::PostgresServer;
use tests::process::free_port;
use tests::secrets::SECRET_PASSWORD;

struct Replica(PgPool);

impl AsRef<PgPool> for Replica {
    fn as_ref(&self) -> &PgPool {
        &self.0
    }
}

#[tokio::test]
async fn a_newtype_keeps_two_pools_of_one_type_apart() {
    let health = Health::builder()
        .without_registered()
        .check(checks::sqlx::check("primary"))
        .check(checks::sqlx::check_as::<Replica>("replica"))
        .build()
        .expect("valid checks");
    let server = TestServer::start(health.router()).await;

    let body = server.get("/health/ready").await.json();
    assert_eq!(
        body["checks"]["primary"]["error"],
        "Pool<Postgres> not initialised"
    );
    assert_eq!(
        body["checks"]["replica"]["error"],
        "Replica not initialised"
    );

    let postgres = PostgresServer::start(SECRET_PASSWORD);
    let primary = PgPool::connect_lazy(&postgres.url()).expect("url");
    let down = format!("postgres://postgres@127.0.0.1:{}/test", free_port());
    let replica = PgPool::connect_lazy(&down).expect("url");
    health.provide(primary);
    health.provide(Replica(replica));

    let response = server.get("/health/ready").await;
    let body = response.json();
    assert_eq!(response.status, 503, "{body}");
    assert_eq!(body["checks"]["primary"]["healthy"], true, "{body}");
    assert_eq!(body["checks"]["replica"]["healthy"], false, "{body}");
}
