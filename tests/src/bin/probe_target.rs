//! The service the kubelet simulator's scenarios run as a real process: a model that loads
//! slowly, a Redis dependency, a worker heartbeat and a runtime watchdog, configured by
//! environment variables so each scenario can make one of them misbehave.
//!
//! | variable | meaning |
//! |---|---|
//! | `PORT` | the loopback port to listen on (required to serve) |
//! | `MODEL_LOAD_MS` | how long the model takes to load (default 0) |
//! | `REDIS_ADDR` | the `host:port` of the Redis the readiness check PINGs |
//! | `HEARTBEAT_STALL_AFTER_MS` | the worker stops beating after this long |
//! | `RUNTIME_STALL_AFTER_MS` | the tokio runtime is blocked after this long |
//! | `DRAIN_MS` | shutdown's drain delay (default 0) |
//! | `EXIT_DELAY_MS` | after the server stopped, the process lingers this long |
//! | `IGNORE_SIGTERM` | `1`: SIGTERM does nothing, only SIGKILL ends the process |
//!
//! Like any service built on health-runtime, it prints its own manifests:
//! `probe_target probes kubernetes [--deployment]`, `probe_target probes container-apps
//! [--app]`, `probe_target lint deployment.yaml`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use health_runtime::checks::liveness::{Heartbeat, RuntimeWatchdog};
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Health, health_check};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The loaded model; present once loading finished.
struct Model;

/// Where the cache listens.
struct Cache {
    addr: SocketAddr,
}

#[health_check(name = "model", probe = ["startup", "readiness"])]
async fn model(_model: &Model) -> bool {
    true
}

#[health_check(name = "redis", timeout_ms = 2000)]
async fn redis(cache: &Cache) -> Result<(), String> {
    let stream = TcpStream::connect(cache.addr)
        .await
        .map_err(|e| e.to_string())?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(b"PING\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    BufReader::new(read)
        .read_line(&mut reply)
        .await
        .map_err(|e| e.to_string())?;
    match reply.trim_end() {
        "+PONG" => Ok(()),
        other => Err(format!("unexpected reply to PING: {other:?}")),
    }
}

/// The service's own deploy configuration: it loads a large model, so it declares up to
/// ten minutes of startup; it drains for 3 s and finishes requests within 5 s.
fn deploy_config() -> DeployConfig {
    DeployConfig::new()
        .name("probe-target")
        .image("registry.example/probe-target:1.0.0")
        .expected_startup(Duration::from_secs(600))
        .drain_delay(Duration::from_secs(3))
        .shutdown_timeout(Duration::from_secs(5))
}

fn env_ms(name: &str) -> Option<Duration> {
    let value = std::env::var(name).ok()?;
    let ms = value
        .parse()
        .unwrap_or_else(|_| panic!("{name} must be milliseconds, not {value:?}"));
    Some(Duration::from_millis(ms))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Limits far above any scheduling hiccup of a loaded test machine.
    let heartbeat = Heartbeat::new("worker", Duration::from_secs(1));
    let watchdog = RuntimeWatchdog::start(Duration::from_secs(1));
    let health = Health::builder()
        .check(heartbeat.check())
        .check(watchdog.check())
        .drain_delay(env_ms("DRAIN_MS").unwrap_or_default())
        .build()
        .expect("valid health configuration");
    if let Some(code) = run_command_from_env(&health.checks(), &deploy_config()) {
        std::process::exit(code);
    }

    let port: u16 = std::env::var("PORT")
        .expect("PORT is required to serve")
        .parse()
        .expect("PORT is a port number");
    if let Ok(addr) = std::env::var("REDIS_ADDR") {
        let addr = addr.parse().expect("REDIS_ADDR is host:port");
        health.provide(Cache { addr });
    }
    let loading = env_ms("MODEL_LOAD_MS").unwrap_or_default();
    let loader = health.clone();
    tokio::spawn(async move {
        tokio::time::sleep(loading).await;
        loader.provide(Model);
    });
    let stall_heartbeat = env_ms("HEARTBEAT_STALL_AFTER_MS");
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        while stall_heartbeat.is_none_or(|after| started.elapsed() < after) {
            heartbeat.beat();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        std::future::pending::<()>().await;
    });
    if let Some(after) = env_ms("RUNTIME_STALL_AFTER_MS") {
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            // Synchronous work on the only worker thread: the runtime barely runs.
            loop {
                std::thread::sleep(Duration::from_millis(1_500));
                tokio::task::yield_now().await;
            }
        });
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| panic!("cannot listen on 127.0.0.1:{port}: {error}"));
    let app: Router = health.router();
    if std::env::var("IGNORE_SIGTERM").is_ok_and(|v| v == "1") {
        // A handler of its own replaces SIGTERM's default action: only SIGKILL ends it.
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::spawn(async move { while sigterm.recv().await.is_some() {} });
        axum::serve(listener, app).await.expect("serve");
        return;
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
        .await
        .expect("serve");
    tokio::time::sleep(env_ms("EXIT_DELAY_MS").unwrap_or_default()).await;
}
