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
use crate::check::resources::short_type_name;
use crate::check::{Check, CheckOutcome, ResourceLookup, Resources};
use crate::redact::Secrets;

/// Sends `GET` to `target` with its headers on `client`; healthy when the status is
/// accepted. The answer's body is not read.
///
/// ```no_run,standalone_crate
/// use health_runtime::checks::{HttpTarget, reqwest};
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "payments", timeout_ms = 2000)]
/// async fn payments(client: &::reqwest::Client) -> CheckOutcome {
///     reqwest::get(client, &HttpTarget::get("https://payments.internal/health")).await
/// }
/// ```
pub async fn get(client: &Client, target: &HttpTarget) -> CheckOutcome {
    get_registering(client, target, None).await
}

/// [`get`], an Entra ID token the target sends first added to `secrets`.
async fn get_registering(
    client: &Client,
    target: &HttpTarget,
    secrets: Option<&Secrets>,
) -> CheckOutcome {
    let uri = match target.request_uri() {
        Ok(uri) => uri.to_string(),
        Err(invalid) => return invalid,
    };
    let mut headers = target.headers().clone();
    match target.bearer_authorization(secrets).await {
        Ok(Some(bearer)) => {
            headers.insert(http::header::AUTHORIZATION, bearer);
        }
        Ok(None) => {}
        Err(outcome) => return outcome,
    }
    let request = client.get(uri).headers(headers);
    match request.send().await {
        Ok(response) => target.judge(response.status()),
        // The error's URL would repeat the query string; the target names the request.
        Err(error) => failed(&target.to_string(), &error.without_url()),
    }
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with the
/// `reqwest::Client` provided with [`Health::provide`](crate::Health::provide).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::{HttpTarget, reqwest};
///
/// let health = Health::builder()
///     .check(reqwest::check("payments", HttpTarget::get("https://payments.internal/health")))
///     .build()?;
/// health.provide(::reqwest::Client::new());
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, target: HttpTarget) -> Check {
    check_over::<Client>(name, target, |client| client)
}

/// Like [`check`], with the client of the provided resource of type `R`: a newtype telling
/// two clients apart (`struct Internal(Client)` with `impl AsRef<Client> for Internal`).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::{HttpTarget, reqwest};
///
/// struct Internal(::reqwest::Client);
/// impl AsRef<::reqwest::Client> for Internal {
///     fn as_ref(&self) -> &::reqwest::Client { &self.0 }
/// }
///
/// let target = HttpTarget::get("http://ledger.internal/health");
/// let health = Health::builder().check(reqwest::check_as::<Internal>("ledger", target)).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_as<R>(name: impl Into<Cow<'static, str>>, target: HttpTarget) -> Check
where
    R: AsRef<Client> + Send + Sync + 'static,
{
    check_over::<R>(name, target, R::as_ref)
}

/// The check over the provided resource `R`, its client reached with `client_of`.
#[track_caller]
fn check_over<R: Send + Sync + 'static>(
    name: impl Into<Cow<'static, str>>,
    target: HttpTarget,
    client_of: fn(&R) -> &Client,
) -> Check {
    let target = Arc::new(target);
    let type_name: Arc<str> = short_type_name::<R>().into();
    let check = Check::from_fn(name, {
        let target = Arc::clone(&target);
        move |resources: &Resources| {
            let mut lookup = ResourceLookup::new();
            match lookup.require::<R>(resources, type_name.to_string()) {
                Some(client) => {
                    let target = Arc::clone(&target);
                    let secrets = resources.secrets().clone();
                    Box::pin(async move {
                        get_registering(client_of(&client), &target, Some(&secrets)).await
                    })
                }
                None => {
                    let outcome = lookup.not_initialised();
                    Box::pin(async move { outcome })
                }
            }
        }
    });
    target.register_secrets(check)
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with `client` (a cheap
/// clone of the application's).
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::{HttpTarget, openai, reqwest};
///
/// let client = ::reqwest::Client::new();
/// let target = openai::models("https://api.openai.com/v1", "key-from-env");
/// let health = Health::builder().check(reqwest::check_with("openai", client, target)).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, client: Client, target: HttpTarget) -> Check {
    let target = Arc::new(target);
    let check = Check::from_fn(name, {
        let target = Arc::clone(&target);
        move |resources: &Resources| {
            let client = client.clone();
            let target = Arc::clone(&target);
            let secrets = resources.secrets().clone();
            Box::pin(async move { get_registering(&client, &target, Some(&secrets)).await })
        }
    });
    target.register_secrets(check)
}
