//! HTTP `GET` with headers on the application's own [`reqwest::Client`] (feature
//! `reqwest`, with reqwest's default features off: the application enables the TLS
//! backend it wants on its own `reqwest` dependency).
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::checks::{self, HttpTarget};
//! use health_runtime::{CheckOutcome, Health, health_check};
//!
//! // One line in a `#[health_check]`, over the `reqwest::Client` provided with
//! // `health.provide`:
//! #[health_check(name = "openai", timeout_ms = 3000)]
//! async fn openai(client: &reqwest::Client) -> CheckOutcome {
//!     let target = HttpTarget::get("https://example.openai.azure.com/openai/deployments?api-version=2024-12-01-preview")
//!         .header("api-key", std::env::var("AZURE_OPENAI_API_KEY").unwrap_or_default());
//!     checks::reqwest::get(client, &target).await
//! }
//!
//! // Or through the builder:
//! let target = HttpTarget::get("https://example.com/status").accept(200..=399);
//! let health = Health::builder()
//!     .check(checks::reqwest::check("status-page", target).timeout(Duration::from_secs(3)))
//!     .build()
//!     .unwrap();
//! health.provide(reqwest::Client::new());
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use reqwest::Client;

use super::HttpTarget;
use super::failure::failed;
use crate::{Check, CheckOutcome};

/// Sends `GET` to `target` with its headers on `client`; healthy when the status is
/// accepted. The answer's body is not read.
pub async fn get(client: &Client, target: &HttpTarget) -> CheckOutcome {
    let uri = match target.request_uri() {
        Ok(uri) => uri.to_string(),
        Err(invalid) => return invalid,
    };
    let request = client.get(uri).headers(target.headers().clone());
    match request.send().await {
        Ok(response) => target.judge(response.status()),
        // The error's URL would repeat the query string; the target names the request.
        Err(error) => failed(&target.to_string(), &error.without_url()),
    }
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with the
/// `reqwest::Client` provided with [`Health::provide`](crate::Health::provide).
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, target: HttpTarget) -> Check {
    let target = Arc::new(target);
    Check::with_resource(name, move |client: Arc<Client>| {
        let target = Arc::clone(&target);
        async move { get(&client, &target).await }
    })
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with `client` (a cheap
/// clone of the application's).
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, client: Client, target: HttpTarget) -> Check {
    let target = Arc::new(target);
    Check::new(name, move || {
        let client = client.clone();
        let target = Arc::clone(&target);
        async move { get(&client, &target).await }
    })
}
