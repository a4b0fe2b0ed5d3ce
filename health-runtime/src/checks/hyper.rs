//! HTTP `GET` with headers on a plain `hyper-util` client (feature `hyper`: `hyper`,
//! `hyper-util` client-legacy and HTTP/1 only, no TLS stack).
//!
//! The check builds its client once and reuses it (and its idle connections) on every
//! run, rather than a client per probe. It speaks `http://` only: for `https://`
//! dependencies use the [`reqwest`](super::reqwest) check with the application's own
//! TLS-enabled client.
//!
//! ```no_run,standalone_crate
//! use std::sync::LazyLock;
//! use std::time::Duration;
//! use health_runtime::checks::{self, HttpTarget};
//! use health_runtime::{CheckOutcome, Health, health_check};
//!
//! // One line in a `#[health_check]`, with one client for the process:
//! static CLIENT: LazyLock<checks::hyper::HttpClient> = LazyLock::new(checks::hyper::client);
//!
//! #[health_check(name = "inference", timeout_ms = 3000)]
//! async fn inference() -> CheckOutcome {
//!     checks::hyper::get(&CLIENT, &HttpTarget::get("http://127.0.0.1:9000/v1/models")).await
//! }
//!
//! // Or through the builder, with the article's Azure OpenAI deployment list:
//! let target = HttpTarget::get(
//!     "http://127.0.0.1:9000/openai/deployments?api-version=2024-12-01-preview",
//! )
//! .header("api-key", std::env::var("AZURE_OPENAI_API_KEY").unwrap_or_default());
//! let health = Health::builder()
//!     .check(checks::hyper::check("openai", target).timeout(Duration::from_secs(3)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use http_body_util::Empty;
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::HttpTarget;
use super::failure::failed;
use crate::check::{Check, CheckOutcome, Resources};
use crate::redact::Secrets;

/// The plain-HTTP client the check uses.
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A plain-HTTP/1 client. Build one per process (or per check) and reuse it.
///
/// It keeps no idle connection: each run connects anew, as the kubelet's own HTTP probes
/// do, so a run tells whether the dependency accepts connections now, and a connection
/// left over from before a restart of the dependency never fails a run after it. A
/// client of the application's own, passed to [`check_with`] or [`get`], keeps its pool.
///
/// ```
/// let client = health_runtime::checks::hyper::client();
/// # let _ = client;
/// ```
pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http()
}

/// Sends `GET` to `target` with its headers; healthy when the status is accepted. The
/// answer's body is not read.
///
/// ```no_run,standalone_crate
/// use health_runtime::checks::{HttpTarget, hyper};
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "search", timeout_ms = 1500)]
/// async fn search() -> CheckOutcome {
///     let client = hyper::client();
///     hyper::get(&client, &HttpTarget::get("http://127.0.0.1:9200/_cluster/health")).await
/// }
/// ```
pub async fn get(client: &HttpClient, target: &HttpTarget) -> CheckOutcome {
    get_registering(client, target, None).await
}

/// [`get`], an Entra ID token the target sends first added to `secrets`.
async fn get_registering(
    client: &HttpClient,
    target: &HttpTarget,
    secrets: Option<&Secrets>,
) -> CheckOutcome {
    let uri = match target.request_uri() {
        Ok(uri) => uri.clone(),
        Err(invalid) => return invalid,
    };
    let bearer = match target.bearer_authorization(secrets).await {
        Ok(bearer) => bearer,
        Err(outcome) => return outcome,
    };
    let mut request = Request::get(uri);
    if let Some(headers) = request.headers_mut() {
        headers.extend(target.headers().clone());
        if let Some(bearer) = bearer {
            headers.insert(http::header::AUTHORIZATION, bearer);
        }
    }
    let request = match request.body(Empty::new()) {
        Ok(request) => request,
        Err(error) => return failed(&target.to_string(), &error),
    };
    match client.request(request).await {
        Ok(response) => target.judge(response.status()),
        Err(error) => failed(&target.to_string(), &error),
    }
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with one client built
/// here and reused by every run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::{HttpTarget, hyper};
///
/// let health = Health::builder()
///     .check(hyper::check("search", HttpTarget::get("http://127.0.0.1:9200/_cluster/health")))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, target: HttpTarget) -> Check {
    check_with(name, client(), target)
}

/// A readiness [`Check`] named `name` that sends `GET` to `target` with `client`.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::{HttpTarget, hyper};
///
/// let client = hyper::client();
/// let health = Health::builder()
///     .check(hyper::check_with("search", client.clone(), HttpTarget::get("http://127.0.0.1:9200/")))
///     .check(hyper::check_with("embedder", client, HttpTarget::get("http://127.0.0.1:8080/health")))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(
    name: impl Into<Cow<'static, str>>,
    client: HttpClient,
    target: HttpTarget,
) -> Check {
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
