//! An OpenAI-compatible HTTP endpoint served in process, behind a fault proxy so that it
//! can be frozen, killed and restarted like the private database servers.
//!
//! It answers the two model-list routes the HTTP checks use: Azure OpenAI's
//! `GET /openai/models?api-version=...` with an `api-key` header, and OpenAI's
//! `GET /v1/models` with `Authorization: Bearer <key>`. A wrong key gets 401 with a body
//! that echoes the key it got, as a careless server might.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;

use crate::delegate_dependency;
use crate::fault_proxy::FaultProxy;
use crate::http::TestServer;
use crate::secrets::SECRET_API_KEY;

/// The model list both routes answer with the right key.
pub const MODELS: &str = r#"{"object":"list","data":[{"id":"text-embedding-3-small"}]}"#;

/// The endpoint, accepting [`SECRET_API_KEY`].
pub struct OpenAiServer {
    server: TestServer,
    proxy: FaultProxy,
}

impl OpenAiServer {
    /// Serves both routes on a free loopback port, behind a proxy on another.
    pub async fn start() -> OpenAiServer {
        let router = Router::new()
            .route("/openai/models", get(azure_models))
            .route("/v1/models", get(openai_models));
        let server = TestServer::start(router).await;
        let proxy = FaultProxy::start(server.addr).await;
        OpenAiServer { server, proxy }
    }

    /// The server itself, without the proxy: never frozen nor killed.
    pub fn direct_addr(&self) -> SocketAddr {
        self.server.addr
    }
}

async fn azure_models(headers: HeaderMap) -> (StatusCode, String) {
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
