//! The smallest complete service: three checks (in `src/quickstart.rs`) that need no external
//! service, one of them on a resource that becomes available after a simulated two-second
//! initialisation.
//!
//! ```text
//! cargo run -p examples --example quickstart
//! curl -i localhost:8000/health/started   # 503 "starting" for ~2 s, then 200 "started"
//! curl -i localhost:8000/health/ready     # 503 "not_ready" until started, then 200 "ready"
//! ```
//!
//! It prints the address of its status page, `http://127.0.0.1:8000/health/ui`: every
//! check's status, latency and history, live. With `HEALTH_TOKEN` set, reports and the page
//! show the checks only to holders of that token (`Authorization: Bearer <token>`, or the
//! page's form, or once `/health/ui?token=<token>`).
//!
//! Listens on `127.0.0.1:8000`, or on `$PORT`. With `DATABASE_URL` and/or `REDIS_URL` set,
//! it also checks that PostgreSQL (`SELECT 1`, 2000 ms) and Redis (`PING`, 1000 ms) answer:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1/test REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p examples --example quickstart
//! ```
//!
//! It also prints its own manifests, generated from its checks, and lints yours
//! (`examples/deploy/` holds the output, kept in sync by this file's test). Only the YAML
//! goes to stdout; logs go to stderr:
//!
//! ```text
//! cargo run -p examples --example quickstart -- probes kubernetes [--deployment]
//! cargo run -p examples --example quickstart -- probes container-apps [--app]
//! cargo run -p examples --example quickstart -- lint my-deployment.yaml
//! cargo run -p examples --example quickstart -- --help
//! ```

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use examples::quickstart;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Health, health_routes};

#[tokio::main]
async fn main() {
    quickstart::init_logging();

    let health = quickstart::health(Health::builder().drain_delay(Duration::from_secs(1)));
    let config = deploy_config().drain_delay(health.drain_delay());
    if let Some(code) = run_command_from_env(&health.checks(), &config) {
        std::process::exit(code); // `probes ...` or `lint ...`: printed, not served
    }
    let app = Router::new()
        .route("/", get(|| async { "hello from the quickstart\n" }))
        .merge(health_routes!(health));

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_owned());
    let address = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .unwrap_or_else(|error| panic!("cannot listen on {address}: {error}"));
    tracing::info!("listening on http://{address} (try /health, /health/started, /health/ready)");
    println!(
        "status page: http://{address}{}",
        health_runtime::ui::DEFAULT_PATH
    );

    // Initialisation finishes in the background; until then startup answers 503.
    quickstart::load_model(&health);

    // Header-read and idle timeouts, a connection cap, and on SIGTERM: readiness 503, the
    // drain delay, then at most SHUTDOWN_TIMEOUT for requests in flight.
    health_runtime::serve(listener, app, &health)
        .shutdown_timeout(SHUTDOWN_TIMEOUT)
        .await
        .expect("server error");
}

/// How long requests in flight may take once the drain delay is over: the server's bound
/// and the manifests' grace period agree.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the manifests need beyond the checks: the model loads in about 2 s; the 1 s
/// drain leaves room for one readiness failure, and requests finish within 5 s.
fn deploy_config() -> DeployConfig {
    DeployConfig::new()
        .name("quickstart")
        .image("registry.example/quickstart:0.1.0")
        .expected_startup(Duration::from_secs(10))
        .readiness_failure_threshold(1)
        .shutdown_timeout(SHUTDOWN_TIMEOUT)
}
