//! A service for the hostile-serving tests, served by `health_runtime::serve`:
//! `/work?ms=N` answers after N ms; `$HEADER_MS`, `$IDLE_MS`, `$DRAIN_MS` and `$BOUND_MS`
//! set the header-read timeout, the idle timeout, the drain delay and the shutdown
//! timeout; `$BEACON=name` holds a shutdown guard of that name, dropped `$BEACON_MS` after
//! shutdown began (never, without it); `$MAX_CONN` sets the connection cap. Prints `listening on <addr>` once it accepts
//! connections and `exited` when `serve` returns; logs go to stderr.

use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use health_runtime::{Check, Health};

#[derive(serde::Deserialize)]
struct Work {
    ms: u64,
}

fn millis(name: &str) -> Option<Duration> {
    let value = std::env::var(name).ok()?;
    Some(Duration::from_millis(value.parse().expect("milliseconds")))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let health = Health::builder()
        .without_registered()
        .check(Check::new("database", || async { true }))
        .drain_delay(millis("DRAIN_MS").unwrap_or(Duration::from_millis(500)))
        .build()
        .expect("valid health configuration");
    if let Ok(name) = std::env::var("BEACON") {
        let guard = health.hold_shutdown(name);
        let release = millis("BEACON_MS");
        let watched = health.clone();
        tokio::spawn(async move {
            let Some(after) = release else {
                std::future::pending::<()>().await;
                return;
            };
            while !watched.is_shutting_down() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(after).await;
            drop(guard);
        });
    }
    let app = Router::new()
        .route(
            "/work",
            get(|Query(work): Query<Work>| async move {
                tokio::time::sleep(Duration::from_millis(work.ms)).await;
                "done"
            }),
        )
        .merge(health.router());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut server = health_runtime::serve(listener, app, &health);
    if let Some(timeout) = millis("HEADER_MS") {
        server = server.header_read_timeout(timeout);
    }
    if let Some(timeout) = millis("IDLE_MS") {
        server = server.idle_timeout(timeout);
    }
    if let Ok(limit) = std::env::var("MAX_CONN") {
        server = server.max_connections(limit.parse().expect("a number"));
    }
    if let Some(timeout) = millis("BOUND_MS") {
        server = server.shutdown_timeout(timeout);
    }
    eprintln!("connection limit {}", server.connection_limit());
    println!("listening on {}", server.local_addr()?);
    server.await?;
    println!("exited");
    Ok(())
}
