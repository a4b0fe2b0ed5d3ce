//! The HTTP built-ins (`checks::hyper` on a plain `hyper-util` client, `checks::reqwest`
//! on the application's `reqwest::Client`) through the fault matrix, against a real axum
//! server playing an OpenAI-compatible endpoint: Azure OpenAI's documented model list
//! with an `api-key`, and OpenAI's `/v1/models` with a bearer token. The API key is a
//! secret no response body may contain.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::checks::{self, HttpTarget};
use health_runtime::{Check, Health};
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::openai_server::OpenAiServer;
use tests::probe::probe;
use tests::secrets::SECRET_API_KEY;

const TIMEOUT: Duration = Duration::from_millis(1500);
const READY: &str = "/health/ready";

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `checks::hyper::check` on Azure OpenAI's model list.
    Hyper,
    /// `checks::reqwest::check` over a provided `reqwest::Client`, on Azure OpenAI's
    /// model list.
    Reqwest,
    /// `checks::reqwest::check` on OpenAI's `/v1/models` with a bearer token.
    ReqwestBearer,
}

fn azure_target(endpoint: SocketAddr, key: &str) -> HttpTarget {
    checks::openai::azure_models(format!("http://{endpoint}"), key)
}

impl Subject for Kind {
    type Server = OpenAiServer;
    const NAME: &'static str = "openai";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> OpenAiServer {
        OpenAiServer::start().await
    }

    fn check(&self, _server: &Self::Server, addr: SocketAddr) -> Check {
        match self {
            Kind::Hyper => checks::hyper::check("openai", azure_target(addr, SECRET_API_KEY)),
            Kind::Reqwest => checks::reqwest::check("openai", azure_target(addr, SECRET_API_KEY)),
            Kind::ReqwestBearer => checks::reqwest::check(
                "openai",
                checks::openai::models(format!("http://{addr}/v1"), SECRET_API_KEY),
            ),
        }
    }

    async fn provide(&self, health: &Health, _addr: SocketAddr) {
        if let Kind::Reqwest | Kind::ReqwestBearer = self {
            health.provide(reqwest::Client::new());
        }
    }

    fn expect(&self) -> Expectations {
        Expectations {
            // Refused on a new connection; a kept-alive connection the kill left in the
            // client's pool may be reset instead, or closed under the request that was
            // written to it (hyper's "connection closed before message completed"), when
            // the next probe comes before the client noticed the close.
            down: &[
                "Connection refused (os error 111)",
                "Connection reset by peer (os error 104)",
                "connection closed before message completed",
            ],
            killed: &[
                "connection closed before message completed",
                "Connection reset by peer",
            ],
            killed_ends_run: true,
            // A client drops the connection of a request it gave up on; the next run
            // opens a fresh one. The built-in hyper client keeps no idle connection; the
            // application's reqwest client keeps its pool, where a connection from before
            // the restart may fail one more run before it is dropped.
            recovery: Recovery::Reconnects {
                probes: match self {
                    Kind::Hyper => 1,
                    Kind::Reqwest | Kind::ReqwestBearer => 2,
                },
            },
            recovers_within: 1,
        }
    }
}

tests::fault_matrix!(
    hyper_client => Kind::Hyper,
    reqwest_client => Kind::Reqwest,
    reqwest_bearer => Kind::ReqwestBearer,
);

/// A revoked key is reported with the status and the request, never the key.
async fn rejected_key(kind: Kind) {
    let openai = OpenAiServer::start().await;
    let wrong_key = format!("{SECRET_API_KEY}-revoked");
    let health = Health::builder()
        .without_registered()
        .check(match kind {
            Kind::Hyper => {
                checks::hyper::check("openai", azure_target(openai.direct_addr(), &wrong_key))
            }
            _ => checks::reqwest::check("openai", azure_target(openai.direct_addr(), &wrong_key)),
        })
        .build()
        .unwrap();
    health.provide(reqwest::Client::new());
    let app = TestServer::start(health.router()).await;
    let error = probe(&app, READY).await.assert_unhealthy(
        "openai",
        &["answered HTTP 401 Unauthorized; accepted: 200-299"],
    );
    assert_eq!(
        error,
        format!(
            "GET http://{}/openai/models answered HTTP 401 Unauthorized; accepted: 200-299",
            openai.direct_addr()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_rejected_key_is_reported_without_the_key() {
    rejected_key(Kind::Hyper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_client_rejected_key_is_reported_without_the_key() {
    rejected_key(Kind::Reqwest).await;
}

/// A wrong bearer token on OpenAI's route: 401, named with the route, never the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_bearer_rejected_token_is_reported_without_the_token() {
    let openai = OpenAiServer::start().await;
    let target = checks::openai::models(
        format!("http://{}/v1", openai.direct_addr()),
        format!("{SECRET_API_KEY}-revoked"),
    );
    let health = Health::builder()
        .without_registered()
        .check(checks::reqwest::check_with(
            "openai",
            reqwest::Client::new(),
            target,
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let error = probe(&app, READY)
        .await
        .assert_unhealthy("openai", &["401"]);
    assert_eq!(
        error,
        format!(
            "GET http://{}/v1/models answered HTTP 401 Unauthorized; accepted: 200-299",
            openai.direct_addr()
        )
    );
}

/// Accepted statuses other than 2xx, and the one-line form over a given client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_statuses_and_given_clients() {
    let openai = OpenAiServer::start().await;
    // Without a key the endpoint answers 401, which this check accepts as "reachable".
    let reachable = HttpTarget::get(format!("http://{}/openai/models", openai.direct_addr()))
        .accept_status(401);
    let client = checks::hyper::client();
    let one_line = {
        let target = azure_target(openai.direct_addr(), SECRET_API_KEY);
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
    let health = Health::builder()
        .without_registered()
        .check(checks::hyper::check(
            "openai",
            HttpTarget::get("https://127.0.0.1:9/").header("api-key", SECRET_API_KEY),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    probe(&app, READY)
        .await
        .assert_unhealthy("openai", &["scheme is not http"]);
}

/// A header value that is not valid HTTP is named, never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_header_value_is_not_shown() {
    let bad = format!("{SECRET_API_KEY}\n");
    let health = Health::builder()
        .without_registered()
        .check(checks::reqwest::check_with(
            "openai",
            reqwest::Client::new(),
            azure_target("127.0.0.1:9".parse().unwrap(), &bad),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
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

/// User info in a target's URL is sent as `Authorization: Basic` by both clients (hyper's
/// client drops it from an absolute URL), percent-decoded, and never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_info_in_the_url_is_sent_as_basic_authorization() {
    use axum::http::{HeaderMap, StatusCode};
    // base64("probe:" + URL_PASSWORD), the password percent-decoded.
    let password = tests::secrets::URL_PASSWORD;
    let expected = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("probe:{password}")
        )
    );
    let upstream = TestServer::start(axum::Router::new().route(
        "/status",
        axum::routing::get(move |headers: HeaderMap| {
            let expected = expected.clone();
            async move {
                match headers.get("authorization") {
                    Some(value) if value == expected.as_str() => StatusCode::OK,
                    _ => StatusCode::UNAUTHORIZED,
                }
            }
        }),
    ))
    .await;
    let encoded = tests::secrets::percent_encoded(password);
    let url = |user: &str| format!("http://{user}:{encoded}@{}/status", upstream.addr);
    let health = Health::builder()
        .without_registered()
        .check(checks::hyper::check("hyper", HttpTarget::get(url("probe"))))
        .check(checks::reqwest::check_with(
            "reqwest",
            reqwest::Client::new(),
            HttpTarget::get(url("probe")),
        ))
        .check(checks::hyper::check("wrong_user", HttpTarget::get(url("other"))).critical(false))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, READY).await;
    probed.assert_healthy("hyper");
    probed.assert_healthy("reqwest");
    let refused = probed.check("wrong_user");
    assert_eq!(refused["details"]["status"], 401, "{refused}");
    let error = refused["error"].as_str().unwrap();
    assert_eq!(
        error,
        format!(
            "GET http://{}/status answered HTTP 401 Unauthorized; accepted: 200-299",
            upstream.addr
        )
    );
}
