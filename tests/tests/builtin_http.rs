//! The fault matrix of the HTTP built-ins (`checks::hyper` on a plain `hyper-util`
//! client, `checks::reqwest` on the application's `reqwest::Client`) against a real axum
//! server playing an OpenAI-compatible endpoint, with the fault proxy in front: healthy,
//! rejected key, refused, hung (blackhole), slower than the timeout, killed mid-request,
//! restarted. The API key is a secret no response body may contain.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use health_runtime::checks::{self, HttpTarget};
use health_runtime::{Check, Health};
use tests::fault_proxy::{Fault, FaultProxy};
use tests::http::TestServer;
use tests::probe::{SECRET_API_KEY, probe, probe_until_healthy};

const TIMEOUT: Duration = Duration::from_millis(1500);
const READY: &str = "/health/ready";

#[derive(Clone, Copy, Debug)]
enum Kind {
    Hyper,
    Reqwest,
}

/// The dependency: `GET /openai/deployments` answers 200 with the right `api-key`, 401
/// otherwise (echoing the key it got, as a careless server might), after `delay_ms`.
struct OpenAi {
    server: TestServer,
    delay_ms: Arc<AtomicU64>,
}

impl OpenAi {
    async fn start() -> OpenAi {
        let delay_ms = Arc::new(AtomicU64::new(0));
        let delay = Arc::clone(&delay_ms);
        let router = Router::new().route(
            "/openai/deployments",
            get(move |headers: HeaderMap| {
                let delay = Duration::from_millis(delay.load(Ordering::Relaxed));
                async move {
                    tokio::time::sleep(delay).await;
                    let key = headers
                        .get("api-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if key == SECRET_API_KEY {
                        (
                            StatusCode::OK,
                            r#"{"data":[{"id":"text-embedding-3-small"}]}"#.to_owned(),
                        )
                    } else {
                        (
                            StatusCode::UNAUTHORIZED,
                            format!(r#"{{"error":"bad api-key {key}"}}"#),
                        )
                    }
                }
            }),
        );
        OpenAi {
            server: TestServer::start(router).await,
            delay_ms,
        }
    }

    fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }
}

fn target(endpoint: std::net::SocketAddr, key: &str) -> HttpTarget {
    HttpTarget::get(format!(
        "http://{endpoint}/openai/deployments?api-version=2024-12-01-preview"
    ))
    .header("api-key", key)
}

/// The service under test: one HTTP check of `kind` against `endpoint`.
async fn service(kind: Kind, target: HttpTarget) -> TestServer {
    let check: Check = match kind {
        Kind::Hyper => checks::hyper::check("openai", target),
        Kind::Reqwest => checks::reqwest::check("openai", target),
    };
    let health = Health::builder()
        .without_registered()
        .check(check.timeout(TIMEOUT))
        .build()
        .expect("valid checks");
    if let Kind::Reqwest = kind {
        health.provide(reqwest::Client::new());
    }
    TestServer::start(health.router()).await
}

/// A dependency behind a fault proxy, and the service checking it.
async fn setup(kind: Kind) -> (OpenAi, FaultProxy, TestServer) {
    let openai = OpenAi::start().await;
    let proxy = FaultProxy::start(openai.server.addr).await;
    let app = service(kind, target(proxy.addr(), SECRET_API_KEY)).await;
    (openai, proxy, app)
}

fn refused_errors(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Hyper | Kind::Reqwest => &["Connection refused (os error 111)"],
    }
}

async fn healthy(kind: Kind) {
    let (_openai, _proxy, app) = setup(kind).await;
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT).assert_healthy("openai");
    assert_eq!(probed.check("openai")["details"]["status"], 200);
}

async fn rejected_key(kind: Kind) {
    let openai = OpenAi::start().await;
    let wrong_key = format!("{SECRET_API_KEY}-revoked");
    let app = service(kind, target(openai.server.addr, &wrong_key)).await;
    let error = probe(&app, READY).await.assert_unhealthy(
        "openai",
        &["answered HTTP 401 Unauthorized; accepted: 200-299"],
    );
    assert_eq!(
        error,
        format!(
            "GET http://{}/openai/deployments answered HTTP 401 Unauthorized; accepted: 200-299",
            openai.server.addr
        )
    );
}

async fn refused(kind: Kind) {
    let (_openai, proxy, app) = setup(kind).await;
    probe(&app, READY).await.assert_healthy("openai");
    proxy.set(Fault::Refuse);
    for _ in 0..2 {
        let probed = probe(&app, READY).await;
        probed.assert_within(TIMEOUT);
        probed.assert_unhealthy("openai", refused_errors(kind));
    }
}

async fn hung(kind: Kind) {
    let (_openai, proxy, app) = setup(kind).await;
    probe(&app, READY).await.assert_healthy("openai");
    proxy.set(Fault::Blackhole);
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("openai", &["Timeout after 1500ms"]);
}

async fn slow(kind: Kind) {
    let (openai, _proxy, app) = setup(kind).await;
    openai.set_delay(TIMEOUT * 2);
    let probed = probe(&app, READY).await;
    probed.assert_within(TIMEOUT);
    probed.assert_unhealthy("openai", &["Timeout after 1500ms"]);
    openai.set_delay(Duration::ZERO);
    probe(&app, READY).await.assert_healthy("openai");
}

async fn killed_mid_request(kind: Kind) {
    let (openai, proxy, app) = setup(kind).await;
    openai.set_delay(Duration::from_secs(5));
    let report = tokio::spawn(async move {
        let probed = probe(&app, READY).await;
        (probed, app)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.set(Fault::Reset);
    let (probed, _app) = report.await.expect("probe task");
    assert!(
        probed.elapsed < TIMEOUT,
        "the reset should end the run, took {:?}",
        probed.elapsed
    );
    probed.assert_unhealthy(
        "openai",
        &[
            "connection closed before message completed",
            "Connection reset by peer",
        ],
    );
}

async fn restarted(kind: Kind) {
    let (_openai, proxy, app) = setup(kind).await;
    probe(&app, READY).await.assert_healthy("openai");
    proxy.set(Fault::Refuse);
    probe(&app, READY)
        .await
        .assert_unhealthy("openai", refused_errors(kind));
    proxy.set(Fault::None);
    let probes = probe_until_healthy(&app, READY, "openai", 10).await;
    assert_eq!(
        probes, 1,
        "{kind:?}: healthy again only after {probes} probes"
    );
}

macro_rules! matrix {
    ($($kind:ident => $module:ident),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn healthy() { super::healthy(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rejected_key() { super::rejected_key(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refused() { super::refused(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn hung() { super::hung(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn slower_than_timeout() { super::slow(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn killed_mid_request() { super::killed_mid_request(Kind::$kind).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn restarted() { super::restarted(Kind::$kind).await }
        }
    )*};
}

matrix!(Hyper => hyper_client, Reqwest => reqwest_client);

/// Accepted statuses other than 2xx, and the one-line form over a given client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_statuses_and_given_clients() {
    let openai = OpenAi::start().await;
    // Without a key the endpoint answers 401, which this check accepts as "reachable".
    let reachable = HttpTarget::get(format!("http://{}/openai/deployments", openai.server.addr))
        .accept_status(401);
    let client = checks::hyper::client();
    let one_line = {
        let target = target(openai.server.addr, SECRET_API_KEY);
        Check::new("one-line", move || {
            let client = client.clone();
            let target = target.clone();
            async move { checks::hyper::get(&client, &target).await }
        })
    };
    let health = Health::builder()
        .without_registered()
        .check(checks::hyper::check_with(
            "hyper",
            checks::hyper::client(),
            reachable.clone(),
        ))
        .check(checks::reqwest::check_with(
            "reqwest",
            reqwest::Client::new(),
            reachable,
        ))
        .check(one_line)
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, READY).await;
    for name in ["hyper", "reqwest", "one-line"] {
        probed.assert_healthy(name);
    }
    assert_eq!(probed.check("hyper")["details"]["status"], 401);
}

/// `https://` needs a TLS stack, which the `hyper` check leaves out on purpose: it says
/// so instead of hanging or panicking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_check_rejects_https() {
    let app = service(
        Kind::Hyper,
        HttpTarget::get("https://127.0.0.1:9/").header("api-key", SECRET_API_KEY),
    )
    .await;
    probe(&app, READY)
        .await
        .assert_unhealthy("openai", &["scheme is not http"]);
}

/// A header value that is not valid HTTP is named, never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_header_value_is_not_shown() {
    let bad = format!("{SECRET_API_KEY}\n");
    let app = service(Kind::Reqwest, target("127.0.0.1:9".parse().unwrap(), &bad)).await;
    probe(&app, READY).await.assert_unhealthy(
        "openai",
        &["invalid value for header `api-key` of the HTTP check (value not shown)"],
    );
}

/// Until the `reqwest::Client` is provided, the check reports it as not initialised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_client_is_not_initialised() {
    let health = Health::builder()
        .without_registered()
        .check(checks::reqwest::check(
            "openai",
            HttpTarget::get("http://127.0.0.1:9/"),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, READY)
        .await
        .assert_unhealthy("openai", &["Client not initialised"]);
}
