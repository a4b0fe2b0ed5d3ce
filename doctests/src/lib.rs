//! Code that readers copy, compiled as doctests by `cargo test`: every Rust block of the
//! README, and the service example the library was first described with. Blocks that would
//! serve forever are `no_run`; none is `ignore`.

/// The README, whose Rust blocks are this crate's doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct Readme;

/// The library's first example, its visible lines unchanged: checks named like their
/// client crates (`redis`), on the real `sqlx`, `redis` and `axum` types, merged into an
/// application's router.
///
/// ```no_run,standalone_crate
/// # use axum::Router;
/// # use axum::routing::post;
/// # use redis::aio::ConnectionManager;
/// # use sqlx::PgPool;
/// # struct EmbeddingModel;
/// # async fn embed() {}
/// use health_runtime::{health_check, health_routes, Health};
///
/// #[health_check(name = "postgres", timeout_ms = 2000, probe = "readiness")]
/// async fn postgres(pool: &PgPool) -> Result<(), sqlx::Error> {
///     sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
/// }
///
/// #[health_check(name = "redis", timeout_ms = 1000, probe = "readiness")]
/// async fn redis(conn: &ConnectionManager) -> redis::RedisResult<()> {
///     redis::cmd("PING").query_async(&mut conn.clone()).await
/// }
///
/// #[health_check(name = "embedding_model", probe = ["startup", "readiness"])]
/// async fn embedding_model(_model: &EmbeddingModel) -> bool { true } // present = loaded
///
/// #[tokio::main]
/// async fn main() {
///     let health = Health::new();
///     let app = Router::new().route("/v1/embed", post(embed)).merge(health_routes!(health));
/// #   let pool = PgPool::connect_lazy("postgres://postgres@127.0.0.1/test").unwrap();
/// #   let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
/// #   let redis_conn = client.get_connection_manager().await.unwrap();
/// #   let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
///     // later, as initialisation finishes:
///     health.provide(pool);          // a check whose resource is missing reports "`PgPool` not initialised"
///     health.provide(redis_conn);
///     axum::serve(listener, app).with_graceful_shutdown(health.shutdown_signal()).await.unwrap();
/// }
/// ```
#[cfg(doctest)]
pub struct FirstExample;
