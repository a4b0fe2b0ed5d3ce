//! The smallest service a health-runtime user deploys, which this crate's own tests run
//! under the kubelet simulator: it serves the health routes and `/` on `127.0.0.1:$PORT`,
//! prints its own Deployment (`pod_service probes kubernetes --deployment`, declaring the
//! default 5 s drain), and drains for `$DRAIN_MS` (default 1000) after SIGTERM, so that a
//! test need not wait the declared drain.
//!
//! `$LOAD_MS` delays startup (the model it loads), `$LIVENESS_FAILS_AFTER_MS` makes
//! liveness fail for good after that long.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Check, Health, Probe};

struct Model;

fn env_ms(name: &str) -> Option<Duration> {
    let value = std::env::var(name).ok()?;
    Some(Duration::from_millis(value.parse().unwrap_or_else(|_| {
        panic!("{name} must be milliseconds, not {value:?}")
    })))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = tokio::time::Instant::now();
    let fails_after = env_ms("LIVENESS_FAILS_AFTER_MS");
    let health = Health::builder()
        .without_registered()
        .check(
            Check::with_resource::<Model, _, _>("model", |_model| async { true })
                .probes([Probe::Startup, Probe::Readiness]),
        )
        .check(
            Check::new("alive", move || async move {
                fails_after.is_none_or(|after| started.elapsed() < after)
            })
            .probes([Probe::Liveness]),
        )
        .drain_delay(env_ms("DRAIN_MS").unwrap_or(Duration::from_secs(1)))
        .build()
        .expect("valid checks");
    let config = DeployConfig::new()
        .name("pod-service")
        .expected_startup(Duration::from_secs(60))
        .shutdown_timeout(Duration::from_secs(3));
    if let Some(code) = run_command_from_env(&health.checks(), &config) {
        std::process::exit(code);
    }
    let port: u16 = std::env::var("PORT")
        .expect("PORT")
        .parse()
        .expect("PORT is a port number");
    let load = env_ms("LOAD_MS").unwrap_or_default();
    let loader = health.clone();
    tokio::spawn(async move {
        tokio::time::sleep(load).await;
        loader.provide(Model);
    });
    let app = Router::new()
        .route("/", get(|| async { "hello" }))
        .merge(health.router());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("listen on $PORT");
    health_runtime::serve(listener, app, &health)
        .await
        .expect("serve");
}
