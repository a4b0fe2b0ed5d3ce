//! A check function named like the client crate it uses.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn sqlx() -> Result<(), sqlx::Error> {
    let options: sqlx::postgres::PgConnectOptions = "postgres://app@127.0.0.1/test".parse()?;
    assert_eq!(options.get_database(), Some("test"));
    Ok(())
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [sqlx]), &["sqlx"]);
}
