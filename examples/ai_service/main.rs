//! The reference article's AI service: readiness over PostgreSQL (`SELECT 1`, 2 s), Redis
//! (`PING`, 1 s) and an Azure OpenAI-compatible endpoint (`GET
//! {endpoint}/openai/deployments?api-version=...` with `api-key`, 3 s); startup and
//! readiness over an embedding model that takes a few seconds to load.
//!
//! ```text
//! DATABASE_URL=postgres://app:secret@127.0.0.1/app \
//! REDIS_URL=redis://127.0.0.1:6379 \
//! AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com \
//! AZURE_OPENAI_API_KEY=... \
//! cargo run -p examples --example ai_service --features ai-service
//!
//! curl -i localhost:8000/health/started   # 503 "starting" while the model loads (~3 s)
//! curl -i localhost:8000/health/ready     # every dependency, each within its timeout
//! ```
//!
//! Every variable is optional: a dependency that is not configured is reported as such
//! (`"DATABASE_URL not configured"`), and the service still starts. Listens on
//! `127.0.0.1:8000`, or on `$PORT`.
//!
//! What it fixes in the article's code: the HTTP client is built once at startup, not on
//! every probe; each check's timeout bounds the whole check (connection included); and no
//! credential from a URL or header reaches a probe response.

mod config;
mod dependencies;
mod model;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use health_runtime::deploy::{DeployConfig, run_command_from_env};
use health_runtime::{Health, health_routes};

use crate::config::Config;

#[tokio::main]
async fn main() {
    // `ai_service probes kubernetes|container-apps` and `ai_service lint <file>`: the probes
    // come from the checks (examples/deploy/ holds them, kept in sync by a test).
    if let Some(code) = run_command_from_env(&health().checks(), &deploy_config()) {
        std::process::exit(code);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = Config::from_env();
    let health = health();
    let app = Router::new()
        .route("/", get(|| async { "AI service\n" }))
        .merge(health_routes!(health));

    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_owned());
    let address = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .unwrap_or_else(|error| panic!("cannot listen on {address}: {error}"));
    tracing::info!("listening on http://{address} (try /health, /health/started, /health/ready)");

    // The probes answer from the first moment; the dependencies and the model arrive as
    // they become available.
    dependencies::connect(&health, &config);
    model::load_in_background(&health);

    axum::serve(listener, app)
        .with_graceful_shutdown(health.shutdown_signal())
        .await
        .expect("server error");
}

/// The health handle over the `#[health_check]`s of [`dependencies`] and [`model`].
fn health() -> Health {
    Health::builder()
        .drain_delay(Duration::from_secs(5))
        .build()
        .expect("valid health configuration")
}

/// The article's periods and five-minute startup allowance; timeouts and thresholds follow
/// from the checks.
fn deploy_config() -> DeployConfig {
    DeployConfig::new()
        .expected_startup(Duration::from_secs(300))
        .readiness_period(Duration::from_secs(15))
        .readiness_failure_threshold(2)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use health_runtime::health_routes;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{config::Config, dependencies, health, model};

    /// `GET path` over a fresh loopback connection; the whole response as text.
    async fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .expect("answered")
    }

    /// Without any variable the service starts, latches startup once the model is loaded,
    /// and reports each unconfigured dependency as such.
    #[tokio::test]
    async fn starts_without_configuration() {
        let health = health();
        let app = Router::new().merge(health_routes!(health));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        dependencies::connect(&health, &Config::default());
        model::load_in_background(&health);
        let starting = get(addr, "/health/started").await;
        assert!(starting.starts_with("HTTP/1.1 503"), "{starting}");
        assert!(
            starting.contains("EmbeddingModel not initialised"),
            "{starting}"
        );

        tokio::time::sleep(model::LOAD_TIME + Duration::from_millis(300)).await;
        let started = get(addr, "/health/started").await;
        assert!(started.starts_with("HTTP/1.1 200"), "{started}");
        let ready = get(addr, "/health/ready").await;
        assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
        for message in [
            "DATABASE_URL not configured",
            "REDIS_URL not configured",
            "AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_API_KEY not configured",
        ] {
            assert!(ready.contains(message), "{message}: {ready}");
        }
        assert!(
            ready.contains(r#""embedding_model":{"healthy":true"#),
            "{ready}"
        );
    }
}

#[cfg(test)]
mod deploy_tests {
    use health_runtime::Probe;
    use health_runtime::deploy::{FindingKind, container_apps_probes, kubernetes_probes, lint};

    use super::{deploy_config, health};

    const KUBERNETES: &str = include_str!("../deploy/ai_service.kubernetes.yaml");
    const CONTAINER_APPS: &str = include_str!("../deploy/ai_service.container-apps.yaml");
    const ARTICLE: &str = include_str!("../../tests/fixtures/article-kubernetes.yaml");

    #[test]
    fn committed_manifests_match_the_checks() {
        let (checks, config) = (health().checks(), deploy_config());
        let regenerate = "the checks changed: regenerate examples/deploy/ with \
            `cargo run -p examples --example ai_service --features ai-service -- probes \
            kubernetes > examples/deploy/ai_service.kubernetes.yaml` (and `container-apps`)";
        let kubernetes = kubernetes_probes(&checks, &config).unwrap().to_yaml();
        assert_eq!(kubernetes, KUBERNETES, "{regenerate}");
        let container_apps = container_apps_probes(&checks, &config).unwrap().to_yaml();
        assert_eq!(container_apps, CONTAINER_APPS, "{regenerate}");
        for manifest in [KUBERNETES, CONTAINER_APPS] {
            assert_eq!(lint(manifest, &checks, &config).unwrap(), []);
        }
    }

    #[test]
    fn the_article_probes_time_out_before_its_checks() {
        let findings = lint(ARTICLE, &health().checks(), &deploy_config()).unwrap();
        let openai = findings.iter().find_map(|f| match &f.kind {
            FindingKind::TimeoutTooShort {
                timeout_seconds,
                check,
                needed_seconds,
                ..
            } if check == "openai" => Some((f.probe, *timeout_seconds, *needed_seconds)),
            _ => None,
        });
        // OpenAI's 3 s check behind the kubelet's default 1 s: it needs 4 s.
        assert_eq!(
            openai,
            Some((Some(Probe::Readiness), 1, 4)),
            "{findings:#?}"
        );
    }
}
