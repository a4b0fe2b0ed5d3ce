//! Figure 10: a readiness probe over an Azure OpenAI check authenticated with an Entra ID
//! token, once the token is cached, against the same probe over the same check with an
//! `api-key`. Both run `checks::hyper` uncached (every probe sends the `GET`) to one
//! in-process model list; the only difference is the credential.
//!
//! | port | serves |
//! |---|---|
//! | BASE+10 | the library, the check with `api-key` (the figure's baseline) |
//! | BASE+11 | the library, the check with `Authorization: Bearer` from `AzureCredential` |
//! | BASE+12 | the model list both check, answering 200 to either credential |
//!
//! The identity side's credential is the application's own kind (`from_credential`) and
//! hands out tokens valid for an hour, counted on `/stats` as `azure.token_fetches`: the
//! first is fetched when the check is built, and none during the load, so what is measured
//! is the cached path every probe takes between two refreshes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use health_runtime::Health;
use health_runtime::checks::azure_identity::AzureCredential;
use health_runtime::checks::{hyper as http_check, openai};

use crate::counters::{Counter, Counters};
use crate::{listen, listen_both};

/// The key and the token the model list accepts.
const API_KEY: &str = "bench-api-key";
const TOKEN: &str = "bench-entra-token";

/// A credential handing out [`TOKEN`], valid for an hour, counting its fetches.
struct HourTokens(Arc<Counter>);

impl std::fmt::Debug for HourTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HourTokens")
    }
}

#[async_trait::async_trait]
impl TokenCredential for HourTokens {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let _fetch = self.0.enter();
        Ok(AccessToken::new(
            Secret::new(TOKEN),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

async fn models(headers: HeaderMap) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let bearer = format!("Bearer {TOKEN}");
    if header("api-key") == Some(API_KEY) || header("authorization") == Some(bearer.as_str()) {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// Serves the model list and both sides on BASE+10..=12.
pub async fn serve(base_port: u16, counters: &Counters, timeout: Duration) {
    listen(
        base_port + 12,
        Router::new().route("/openai/models", get(models)),
    )
    .await;
    let endpoint = format!("http://127.0.0.1:{}", base_port + 12);

    let keys = openai::azure_models(&endpoint, API_KEY);
    let credential =
        AzureCredential::from_credential(Arc::new(HourTokens(counters.get("azure.token_fetches"))));
    let identity = openai::azure_models_with_identity(&endpoint, &credential);
    for (offset, target) in [(10, keys), (11, identity)] {
        let health = Health::builder()
            .without_registered()
            .check(http_check::check("openai", target).timeout(timeout))
            .build()
            .expect("valid checks");
        listen_both(base_port + offset, health.router(), &health, counters).await;
    }
}
