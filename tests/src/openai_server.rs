//! An OpenAI-compatible HTTP endpoint served in process, behind a fault proxy so that it
//! can be frozen, killed and restarted like the private database servers.
//!
//! It answers the two model-list routes the HTTP checks use: Azure OpenAI's
//! `GET /openai/models?api-version=...` with an `api-key` header — or, as a resource with
//! key authentication disabled does, `Authorization: Bearer <Entra ID token>` — and
//! OpenAI's `GET /v1/models` with `Authorization: Bearer <key>`. A wrong key gets 401 with
//! a body that echoes the key it got, as a careless server might; a token the test's
//! authority did not issue, or one that expired, gets Azure OpenAI's 401
//! (`{"error":{"code":"401","message":"Access denied due to invalid subscription key or
//! wrong API endpoint..."}}`). With [`OpenAiServer::start_tls`] it speaks HTTPS with a
//! certificate of the test's own CA.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::ServerConfig;

use crate::delegate_dependency;
use crate::fault_proxy::FaultProxy;
use crate::http::TestServer;
use crate::secrets::SECRET_API_KEY;
use crate::tls_server::TlsListener;

/// The model list both routes answer with the right key.
pub const MODELS: &str = r#"{"object":"list","data":[{"id":"text-embedding-3-small"}]}"#;

type TokenCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Which bearer tokens the Azure route accepts.
#[derive(Clone, Default)]
struct Tokens(Arc<Mutex<Option<TokenCheck>>>);

/// The endpoint, accepting [`SECRET_API_KEY`].
pub struct OpenAiServer {
    direct: SocketAddr,
    tokens: Tokens,
    /// The plain server, served until dropped.
    _plain: Option<TestServer>,
    /// The HTTPS server's task.
    tls: Option<JoinHandle<()>>,
    proxy: FaultProxy,
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        if let Some(task) = &self.tls {
            task.abort();
        }
    }
}

impl OpenAiServer {
    /// Serves both routes on a free loopback port, behind a proxy on another.
    pub async fn start() -> OpenAiServer {
        let tokens = Tokens::default();
        let server = TestServer::start(router(tokens.clone())).await;
        let direct = server.addr;
        let proxy = FaultProxy::start(direct).await;
        OpenAiServer {
            direct,
            tokens,
            _plain: Some(server),
            tls: None,
            proxy,
        }
    }

    /// The same over HTTPS, with `config`'s certificate.
    pub async fn start_tls(config: Arc<ServerConfig>) -> OpenAiServer {
        let tokens = Tokens::default();
        let listener = TlsListener::bind(config).await;
        let direct = axum::serve::Listener::local_addr(&listener).expect("address");
        let app = router(tokens.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let proxy = FaultProxy::start(direct).await;
        OpenAiServer {
            direct,
            tokens,
            _plain: None,
            tls: Some(task),
            proxy,
        }
    }

    /// The server itself, without the proxy: never frozen nor killed.
    pub fn direct_addr(&self) -> SocketAddr {
        self.direct
    }

    /// Accepts Entra ID tokens for which `check` holds on the Azure route.
    pub fn accept_bearer(&self, check: impl Fn(&str) -> bool + Send + Sync + 'static) {
        *self.tokens.0.lock().unwrap() = Some(Arc::new(check));
    }
}

fn router(tokens: Tokens) -> Router {
    Router::new()
        .route("/openai/models", get(azure_models))
        .route("/v1/models", get(openai_models))
        .with_state(tokens)
}

async fn azure_models(State(tokens): State<Tokens>, headers: HeaderMap) -> (StatusCode, String) {
    let authorization = header(&headers, "authorization");
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        let check = tokens.0.lock().unwrap().clone();
        return if check.is_some_and(|check| check(token)) {
            (StatusCode::OK, MODELS.to_owned())
        } else {
            (
                StatusCode::UNAUTHORIZED,
                r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#.to_owned(),
            )
        };
    }
    let key = header(&headers, "api-key");
    answer(key, key == SECRET_API_KEY)
}

async fn openai_models(headers: HeaderMap) -> (StatusCode, String) {
    let authorization = header(&headers, "authorization");
    let key = authorization
        .strip_prefix("Bearer ")
        .unwrap_or(authorization);
    answer(key, authorization == format!("Bearer {SECRET_API_KEY}"))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

fn answer(key: &str, accepted: bool) -> (StatusCode, String) {
    if accepted {
        (StatusCode::OK, MODELS.to_owned())
    } else {
        (
            StatusCode::UNAUTHORIZED,
            format!(r#"{{"error":"bad api-key {key}"}}"#),
        )
    }
}

delegate_dependency!(OpenAiServer, proxy);
