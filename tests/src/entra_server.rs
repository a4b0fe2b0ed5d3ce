//! Stand-ins for the token endpoints of Entra ID, which the tests cannot reach, each
//! answering as Microsoft documents it and as `azure_identity` (the crate the checks use)
//! reads it:
//!
//! - the local identity endpoint of Container Apps and App Service (`IDENTITY_ENDPOINT`):
//!   `GET ?api-version=2019-08-01&resource=<resource>[&client_id=..]` with the header
//!   `X-IDENTITY-HEADER: <IDENTITY_HEADER>`, answered with `access_token`, `expires_on`
//!   (seconds since the epoch, as a string), `resource`, `token_type`
//!   (learn.microsoft.com/azure/container-apps/managed-identity "Connect to Azure services
//!   in app code", learn.microsoft.com/azure/app-service/overview-managed-identity "REST
//!   endpoint reference"; `azure_identity` `imds_managed_identity_credential.rs`). A
//!   missing or wrong header is `401`.
//! - IMDS (`http://169.254.169.254/metadata/identity/oauth2/token`, reached through the
//!   test's redirecting transport, never the address itself): the same query with the
//!   header `Metadata: true`, answered in the same shape plus `expires_in`
//!   (learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token).
//!   Without the header it is `400` `invalid_request`.
//! - the Entra token endpoint, for workload identity's client assertion:
//!   `POST /<tenant>/oauth2/v2.0/token` over HTTPS (`azure_identity` refuses any other
//!   authority host) with the form `client_assertion`, `client_assertion_type`
//!   (`urn:ietf:params:oauth:client-assertion-type:jwt-bearer`), `client_id`,
//!   `grant_type=client_credentials` and `scope`, answered with `token_type`,
//!   `expires_in`, `ext_expires_in`, `access_token`; an assertion other than the
//!   Kubernetes token the test wrote is `401` `invalid_client` with `error_codes`
//!   (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//!   "Third case: Access token request with a federated credential";
//!   `azure_identity` `client_assertion_credential.rs`).
//!
//! Tokens are opaque (not JWT-shaped, so only their registration as secrets can hide
//! them), unique, and valid for the lifetime the test sets; [`Authority::is_valid`] tells a
//! Service Bus or OpenAI stand-in whether a token it is shown was issued here and is
//! unexpired. Every endpoint can be slowed down, and sits behind a fault proxy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::ServerConfig;

use crate::delegate_dependency;
use crate::fault_proxy::FaultProxy;
use crate::http::TestServer;
use crate::tls_server::TlsListener;

/// The Kubernetes service account token the workload identity tests write to
/// `AZURE_FEDERATED_TOKEN_FILE`.
pub use crate::secrets::FEDERATED_TOKEN;
/// The `IDENTITY_HEADER` the local identity endpoint expects.
pub use crate::secrets::IDENTITY_HEADER;
/// The tenant and client of the workload identity tests.
pub const TENANT_ID: &str = "7b795fb9-09d3-42f4-a494-38864f99ba3c";
/// See [`TENANT_ID`].
pub const CLIENT_ID: &str = "0f4c6e1a-5d2b-4c8e-9a7f-3b1d2e4f6a8c";

/// What the endpoints issue, and what they were asked.
pub struct Authority {
    lifetime_ms: AtomicU64,
    delay_ms: AtomicU64,
    issued: Mutex<HashMap<String, SystemTime>>,
    requests: AtomicUsize,
    resources: Mutex<Vec<String>>,
}

impl Authority {
    fn new() -> Arc<Authority> {
        Arc::new(Authority {
            lifetime_ms: AtomicU64::new(3_600_000),
            delay_ms: AtomicU64::new(0),
            issued: Mutex::default(),
            requests: AtomicUsize::new(0),
            resources: Mutex::default(),
        })
    }

    /// Whether `token` was issued here and has not expired.
    pub fn is_valid(&self, token: &str) -> bool {
        self.issued
            .lock()
            .unwrap()
            .get(token)
            .is_some_and(|expiry| SystemTime::now() < *expiry)
    }

    /// How many tokens were issued.
    pub fn issued(&self) -> usize {
        self.issued.lock().unwrap().len()
    }

    /// How many token requests arrived (answered or not).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The resources (or scopes) tokens were asked for.
    pub fn resources(&self) -> Vec<String> {
        self.resources.lock().unwrap().clone()
    }

    /// Every token issued from now on is valid for `lifetime` (an hour by default). The
    /// documented answers count in whole seconds, so a lifetime below 2 s is not useful.
    pub fn set_lifetime(&self, lifetime: Duration) {
        self.lifetime_ms
            .store(lifetime.as_millis() as u64, Ordering::SeqCst);
    }

    /// Every answer is sent `delay` after its request.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// A new token: its value, its expiry in seconds since the epoch, its lifetime in
    /// seconds.
    fn issue(&self, resource: &str) -> (String, u64, u64) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let lifetime = Duration::from_millis(self.lifetime_ms.load(Ordering::SeqCst));
        let expiry = SystemTime::now() + lifetime;
        let seconds = expiry.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let token = format!(
            "entra-access-{}-{}-{:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        self.issued.lock().unwrap().insert(token.clone(), expiry);
        self.resources.lock().unwrap().push(resource.to_owned());
        (token, seconds, lifetime.as_secs())
    }

    async fn arrive(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }
}

/// The local identity endpoint and IMDS, over plain HTTP as on the platforms.
pub struct IdentityEndpoint {
    authority: Arc<Authority>,
    _server: TestServer,
    proxy: FaultProxy,
}

impl IdentityEndpoint {
    /// Serves `/msi/token` (Container Apps) and `/metadata/identity/oauth2/token` (IMDS).
    pub async fn start() -> IdentityEndpoint {
        let authority = Authority::new();
        let router = Router::new()
            .route("/msi/token", get(container_apps))
            .route("/metadata/identity/oauth2/token", get(imds))
            .with_state(Arc::clone(&authority));
        let server = TestServer::start(router).await;
        let proxy = FaultProxy::start(server.addr).await;
        IdentityEndpoint {
            authority,
            _server: server,
            proxy,
        }
    }

    /// What it issued.
    pub fn authority(&self) -> Arc<Authority> {
        Arc::clone(&self.authority)
    }

    /// `IDENTITY_ENDPOINT` of a Container App, through the proxy.
    pub fn identity_endpoint(&self) -> String {
        format!("http://{}/msi/token", self.proxy.addr())
    }
}

delegate_dependency!(IdentityEndpoint, proxy);

/// The Entra token endpoint, over HTTPS with a certificate of the test's CA for
/// `localhost`.
pub struct TokenEndpoint {
    authority: Arc<Authority>,
    task: JoinHandle<()>,
    proxy: FaultProxy,
}

impl TokenEndpoint {
    /// Serves `POST /{tenant}/oauth2/v2.0/token` with `config`'s certificate.
    pub async fn start(config: Arc<ServerConfig>) -> TokenEndpoint {
        let authority = Authority::new();
        let router = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(entra_token))
            .with_state(Arc::clone(&authority));
        let listener = TlsListener::bind(config).await;
        let direct = axum::serve::Listener::local_addr(&listener).expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let proxy = FaultProxy::start(direct).await;
        TokenEndpoint {
            authority,
            task,
            proxy,
        }
    }

    /// What it issued.
    pub fn authority(&self) -> Arc<Authority> {
        Arc::clone(&self.authority)
    }

    /// `AZURE_AUTHORITY_HOST`, through the proxy.
    pub fn authority_host(&self) -> String {
        format!("https://localhost:{}", self.proxy.addr().port())
    }
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

delegate_dependency!(TokenEndpoint, proxy);

fn msi_answer(authority: &Authority, resource: &str, with_expires_in: bool) -> Value {
    let (token, expires_on, lifetime) = authority.issue(resource);
    let mut answer = json!({
        "access_token": token,
        "expires_on": expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
    });
    if with_expires_in {
        answer["expires_in"] = json!(lifetime.to_string());
    }
    answer
}

async fn container_apps(
    State(authority): State<Arc<Authority>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    authority.arrive().await;
    let header = headers
        .get("x-identity-header")
        .and_then(|value| value.to_str().ok());
    if header != Some(IDENTITY_HEADER) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"statusCode": 401, "message": "Unauthorized: the identity header is missing or wrong"}),
            ),
        );
    }
    let resource = query.get("resource").cloned().unwrap_or_default();
    (
        StatusCode::OK,
        Json(msi_answer(&authority, &resource, false)),
    )
}

async fn imds(
    State(authority): State<Arc<Authority>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    authority.arrive().await;
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
            ),
        );
    }
    let resource = query.get("resource").cloned().unwrap_or_default();
    (
        StatusCode::OK,
        Json(msi_answer(&authority, &resource, true)),
    )
}

async fn entra_token(
    State(authority): State<Arc<Authority>>,
    body: String,
) -> (StatusCode, Json<Value>) {
    authority.arrive().await;
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let well_formed = field("client_assertion_type")
        == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        && field("grant_type") == "client_credentials"
        && field("client_id") == CLIENT_ID;
    if !well_formed || field("client_assertion") != FEDERATED_TOKEN {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "error": "invalid_client",
                "error_description": "AADSTS700213: No matching federated identity record found for presented assertion subject.",
                "error_codes": [700213],
            })),
        );
    }
    let (token, _, lifetime) = authority.issue(field("scope"));
    (
        StatusCode::OK,
        Json(json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        })),
    )
}
