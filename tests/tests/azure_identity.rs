//! The Azure checks authenticated with Entra ID, driven through `azure_identity`'s own
//! credentials against local stand-ins of the token endpoints (`tests::entra_server`, each
//! answering as Microsoft documents it), since Entra ID, a Service Bus namespace and an
//! Azure OpenAI resource cannot be reached from the tests:
//!
//! - managed identity on Container Apps / App Service (`IDENTITY_ENDPOINT`,
//!   `IDENTITY_HEADER`) and workload identity on AKS (`AZURE_FEDERATED_TOKEN_FILE`,
//!   `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_AUTHORITY_HOST`, the Entra token endpoint
//!   over HTTPS with the test's CA): `azure_identity` reads these from the process
//!   environment only, so each case runs in a child process of this test binary (an
//!   ignored test, run by its parent with the platform's environment);
//! - IMDS: `azure_identity` sends to `169.254.169.254`, which no test may reach; its
//!   requests go through a transport that sends them to the stand-in on loopback instead
//!   (and records that IMDS's address was asked);
//! - a credential the application built, taken as it is.
//!
//! The Service Bus stand-in (`put-token` of type `jwt`) and the OpenAI stand-in (`Bearer`)
//! accept exactly the tokens the stand-in authority issued and that have not expired.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::request::Request;
use azure_core::http::{AsyncRawResponse, ClientOptions, HttpClient, Transport};
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
use health_runtime::checks::azure_identity::{AzureCredential, HttpsTransport};
use health_runtime::checks::fe2o3_amqp::{self as servicebus, ServiceBus};
use health_runtime::checks::{hyper as http_check, openai};
use health_runtime::{Check, Health};
use tests::dependency::Dependency;
use tests::entra_server::{
    Authority, CLIENT_ID, FEDERATED_TOKEN, IDENTITY_HEADER, IdentityEndpoint, TENANT_ID,
    TokenEndpoint,
};
use tests::http::TestServer;
use tests::openai_server::OpenAiServer;
use tests::probe::{probe, probe_until_healthy};
use tests::secrets::SECRET_API_KEY;
use tests::servicebus_peer::ServiceBusPeer;
use tests::tls_server::TestCa;

const QUEUE: &str = "orders";
/// IMDS's fixed address: asked by `azure_identity`, never connected to.
const IMDS: &str = "169.254.169.254";

/// The stand-ins of a Service Bus entity and an Azure OpenAI resource, accepting the
/// tokens of `authority`.
struct Services {
    peer: ServiceBusPeer,
    openai: OpenAiServer,
}

impl Services {
    async fn start(authority: &Arc<Authority>) -> Services {
        let peer = ServiceBusPeer::start(QUEUE, SECRET_API_KEY).await;
        let openai = OpenAiServer::start().await;
        let valid = Arc::clone(authority);
        peer.accept_jwt(move |token| valid.is_valid(token));
        let valid = Arc::clone(authority);
        openai.accept_bearer(move |token| valid.is_valid(token));
        Services { peer, openai }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HR_TEST_SERVICEBUS", self.peer.identity_connection_string()),
            (
                "HR_TEST_OPENAI",
                format!("http://{}", self.openai.direct_addr()),
            ),
        ]
    }
}

/// The Service Bus and OpenAI checks over `credential`, served.
async fn serve(
    credential: &AzureCredential,
    servicebus_string: &str,
    openai_endpoint: &str,
    timeout: Duration,
) -> (Health, TestServer) {
    let bus = ServiceBus::from_connection_string_with_identity(servicebus_string, credential)
        .expect("connection string");
    let models = openai::azure_models_with_identity(openai_endpoint, credential);
    let checks: [Check; 2] = [
        servicebus::check_with("servicebus", bus),
        http_check::check("openai", models),
    ];
    let health = checks
        .into_iter()
        .fold(Health::builder().without_registered(), |builder, check| {
            builder.check(check.timeout(timeout))
        })
        .build()
        .expect("valid checks");
    let server = TestServer::start(health.router()).await;
    (health, server)
}

async fn serve_services(
    credential: &AzureCredential,
    services: &Services,
    timeout: Duration,
) -> (Health, TestServer) {
    let endpoint = format!("http://{}", services.openai.direct_addr());
    serve(
        credential,
        &services.peer.identity_connection_string(),
        &endpoint,
        timeout,
    )
    .await
}

/// Sends IMDS's requests to the stand-in on loopback, and records what was asked.
#[derive(Debug)]
struct ToLoopback {
    inner: HttpsTransport,
    port: u16,
    asked: Arc<Mutex<Vec<String>>>,
}

#[async_trait::async_trait]
impl HttpClient for ToLoopback {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        self.asked.lock().unwrap().push(request.url().to_string());
        let mut local = request.clone();
        let url = local.url_mut();
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(self.port)).expect("a port");
        self.inner.execute_request(&local).await
    }
}

/// `azure_identity`'s `ManagedIdentityCredential` as on a virtual machine (IMDS), its
/// requests sent to `endpoint`.
fn imds_credential(endpoint: &IdentityEndpoint) -> (AzureCredential, Arc<Mutex<Vec<String>>>) {
    for platform in ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"] {
        assert!(
            std::env::var_os(platform).is_none(),
            "{platform} is set: this test needs the environment of a virtual machine"
        );
    }
    let asked = Arc::default();
    let transport = ToLoopback {
        inner: HttpsTransport::new(),
        port: endpoint.addr().port(),
        asked: Arc::clone(&asked),
    };
    let options = ManagedIdentityCredentialOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(transport))),
            ..ClientOptions::default()
        },
        ..ManagedIdentityCredentialOptions::default()
    };
    let credential = ManagedIdentityCredential::new(Some(options)).expect("IMDS credential");
    (AzureCredential::from_credential(credential), asked)
}

/// IMDS serves the tokens of both scopes; both checks are healthy with them, each token is
/// put on `$cbs` as type `jwt` and registered as a secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_tokens_authorise_service_bus_and_openai() {
    let endpoint = IdentityEndpoint::start().await;
    let authority = endpoint.authority();
    let services = Services::start(&authority).await;
    let (credential, asked) = imds_credential(&endpoint);
    assert_eq!(credential.source(), "ManagedIdentityCredential");
    let (health, app) = serve_services(&credential, &services, Duration::from_secs(5)).await;

    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("servicebus").assert_healthy("openai");

    let asked = asked.lock().unwrap().clone();
    assert!(!asked.is_empty());
    for url in &asked {
        assert!(
            url.starts_with(&format!("http://{IMDS}/metadata/identity/oauth2/token?")),
            "{url}"
        );
    }
    let mut resources = authority.resources();
    resources.sort();
    resources.dedup();
    assert_eq!(
        resources,
        [
            "https://cognitiveservices.azure.com",
            "https://servicebus.azure.net"
        ]
    );
    let put = &services.peer.seen().put_tokens[0];
    assert_eq!(put.token_type, "jwt");
    assert_eq!(health.secrets().scrub(&put.token), "***");
}

/// Tokens live 6 s and take 1 s to fetch; each check has 800 ms. A run that waited on a
/// fetch would time out: every run over three lifetimes is healthy, on tokens refreshed
/// ahead of expiry in the background.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_refreshed_before_they_are_needed() {
    let endpoint = IdentityEndpoint::start().await;
    let authority = endpoint.authority();
    authority.set_lifetime(Duration::from_secs(6));
    authority.set_delay(Duration::from_secs(1));
    let services = Services::start(&authority).await;
    let (credential, _) = imds_credential(&endpoint);
    let (_health, app) = serve_services(&credential, &services, Duration::from_millis(800)).await;
    // The first token of each scope is fetched once; until then the runs wait on it.
    probe_until_healthy(&app, "/health/ready", "servicebus", 50).await;
    probe_until_healthy(&app, "/health/ready", "openai", 50).await;

    let issued_before = authority.issued();
    let puts_before = services.peer.seen().put_tokens.len();
    let started = SystemTime::now();
    let mut runs = 0;
    while started.elapsed().unwrap() < Duration::from_secs(14) {
        let probed = probe(&app, "/health/ready").await;
        probed.assert_healthy("servicebus").assert_healthy("openai");
        runs += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(runs >= 20, "only {runs} runs");
    assert!(
        authority.issued() >= issued_before + 4,
        "tokens were not refreshed: {} then {}",
        issued_before,
        authority.issued()
    );
    let mut tokens: Vec<String> = services.peer.seen().put_tokens[puts_before..]
        .iter()
        .map(|put| put.token.clone())
        .collect();
    tokens.dedup();
    assert!(
        tokens.len() >= 2,
        "one token for every run: {}",
        tokens.len()
    );
}

/// A credential the application built: taken as it is.
#[derive(Debug)]
struct Revoked;

const REVOKED_TOKEN: &str = "entra-access-revoked-5a1f";

#[async_trait::async_trait]
impl TokenCredential for Revoked {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            Secret::new(REVOKED_TOKEN),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

/// The services refuse a token (expired, revoked, another tenant's): each check names its
/// entity and the service's reason, never the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_names_the_entity_never_the_token() {
    let authority_of_nobody = IdentityEndpoint::start().await.authority();
    let services = Services::start(&authority_of_nobody).await;
    let credential = AzureCredential::from_credential(Arc::new(Revoked));
    assert_eq!(credential.source(), "Revoked");
    let (_health, app) = serve_services(&credential, &services, Duration::from_secs(5)).await;
    let probed = probe(&app, "/health/ready").await;
    let body = String::from_utf8_lossy(&probed.response.body).into_owned();
    assert!(!body.contains(REVOKED_TOKEN), "{body}");
    let error =
        probed.assert_unhealthy("servicebus", &["servicebus: put-token for sb://127.0.0.1:"]);
    // (The word after `ExpiredToken:` is masked by the pattern for `key: value` pairs.)
    assert!(
        error.contains(&format!("/{QUEUE}: status 401 (ExpiredToken:"))
            && error.ends_with("token is expired or not issued by a trusted authority.)"),
        "{error}"
    );
    let error = probed.assert_unhealthy("openai", &["GET http://127.0.0.1:"]);
    assert!(
        error.contains("/openai/models answered HTTP 401 Unauthorized"),
        "{error}"
    );
}

// --- The platforms whose identity `azure_identity` reads from the process environment:
// each case runs in a child process of this binary with that environment.

/// Runs the ignored test `name` of this binary in a child process with `env`; fails with
/// its output unless it passed.
async fn run_child(name: &str, env: Vec<(&'static str, String)>) {
    let output = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(env)
        .output()
        .await
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child {name} failed:\n{stdout}\n{stderr}"
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run by its parent test"))
}

/// A Container App's managed identity: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_apps_managed_identity() {
    let endpoint = IdentityEndpoint::start().await;
    let authority = endpoint.authority();
    let services = Services::start(&authority).await;
    let mut env = services.env();
    env.push(("IDENTITY_ENDPOINT", endpoint.identity_endpoint()));
    env.push(("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()));
    run_child("child_container_apps", env).await;
    assert_eq!(services.peer.seen().put_tokens[0].token_type, "jwt");
    assert!(authority.issued() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child of `container_apps_managed_identity`, with a Container App's environment"]
async fn child_container_apps() {
    let credential = AzureCredential::from_environment().expect("a credential");
    assert_eq!(
        credential.source(),
        "managed identity (Container Apps / App Service)"
    );
    let (health, app) = serve(
        &credential,
        &env("HR_TEST_SERVICEBUS"),
        &env("HR_TEST_OPENAI"),
        Duration::from_secs(5),
    )
    .await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("servicebus").assert_healthy("openai");
    // The endpoint's header is a secret too.
    assert_eq!(health.secrets().scrub(IDENTITY_HEADER), "***");
}

/// The identity endpoint refuses connections: both checks say so at once, naming their
/// entity and where the token comes from, never the endpoint's header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_endpoint_down_is_a_clear_error() {
    let mut endpoint = IdentityEndpoint::start().await;
    let services = Services::start(&endpoint.authority()).await;
    let mut env = services.env();
    env.push(("IDENTITY_ENDPOINT", endpoint.identity_endpoint()));
    env.push(("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()));
    endpoint.kill();
    run_child("child_endpoint_down", env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child of `identity_endpoint_down_is_a_clear_error`"]
async fn child_endpoint_down() {
    let credential = AzureCredential::from_environment().expect("a credential");
    let (_health, app) = serve(
        &credential,
        &env("HR_TEST_SERVICEBUS"),
        &env("HR_TEST_OPENAI"),
        Duration::from_secs(5),
    )
    .await;
    let probed = probe(&app, "/health/ready").await;
    let body = String::from_utf8_lossy(&probed.response.body).into_owned();
    assert!(!body.contains(IDENTITY_HEADER), "{body}");
    let source = "Entra ID token from managed identity (Container Apps / App Service)";
    let error =
        probed.assert_unhealthy("servicebus", &["servicebus: no token for sb://127.0.0.1:"]);
    assert!(
        error.contains(&format!(
            "{source} for https://servicebus.azure.net/.default"
        )) && error.contains("Connection refused"),
        "{error}"
    );
    let error = probed.assert_unhealthy("openai", &["GET http://127.0.0.1:"]);
    assert!(
        error.contains(&format!(
            "/openai/models: {source} for https://cognitiveservices.azure.com/.default"
        )),
        "{error}"
    );
    // Reported, not waited out: the check's timeout never ran out.
    assert!(!error.contains("Timeout after"), "{error}");
}

/// Workload identity on AKS: the projected service account token exchanged at the Entra
/// token endpoint (HTTPS, the test's CA trusted through `HttpsTransport::trusting`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aks_workload_identity() {
    let (token_endpoint, ca, env) = workload_environment(FEDERATED_TOKEN).await;
    let authority = token_endpoint.authority();
    let services = Services::start(&authority).await;
    let mut env = env;
    env.extend(services.env());
    run_child("child_workload_identity", env).await;
    let mut scopes = authority.resources();
    scopes.sort();
    scopes.dedup();
    assert_eq!(
        scopes,
        [
            "https://cognitiveservices.azure.com/.default",
            "https://servicebus.azure.net/.default"
        ]
    );
    drop(ca);
}

/// A service account token Entra does not federate: `401 invalid_client`, named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aks_workload_identity_refused() {
    let (token_endpoint, _ca, env) = workload_environment("k8s-token-of-another-pod").await;
    let services = Services::start(&token_endpoint.authority()).await;
    let mut env = env;
    env.extend(services.env());
    run_child("child_workload_identity_refused", env).await;
}

/// The Entra stand-in, the CA it is trusted through, and the environment AKS gives a pod
/// whose service account token is `token`.
async fn workload_environment(
    token: &str,
) -> (TokenEndpoint, tempdir::Dir, Vec<(&'static str, String)>) {
    let ca = TestCa::new();
    let endpoint = TokenEndpoint::start(ca.server_config(
        &["localhost"],
        SystemTime::now() + Duration::from_secs(86_400),
    ))
    .await;
    let dir = tempdir::Dir::new();
    let token_file = dir.path.join("azure-identity-token");
    std::fs::write(&token_file, token).expect("write the token file");
    let root_file = dir.path.join("ca.der");
    std::fs::write(&root_file, ca.root().as_ref()).expect("write the root");
    let env = vec![
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AZURE_TENANT_ID", TENANT_ID.to_owned()),
        ("AZURE_AUTHORITY_HOST", endpoint.authority_host()),
        ("HR_TEST_CA", root_file.display().to_string()),
    ];
    (endpoint, dir, env)
}

fn workload_credential() -> AzureCredential {
    let root = std::fs::read(env("HR_TEST_CA")).expect("the test's root");
    AzureCredential::from_environment_with(HttpsTransport::trusting([root.into()]))
        .expect("a credential")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child of `aks_workload_identity`, with the environment of an AKS pod"]
async fn child_workload_identity() {
    let credential = workload_credential();
    assert_eq!(credential.source(), "workload identity");
    let (_health, app) = serve(
        &credential,
        &env("HR_TEST_SERVICEBUS"),
        &env("HR_TEST_OPENAI"),
        Duration::from_secs(5),
    )
    .await;
    probe(&app, "/health/ready")
        .await
        .assert_healthy("servicebus")
        .assert_healthy("openai");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child of `aks_workload_identity_refused`"]
async fn child_workload_identity_refused() {
    let credential = workload_credential();
    let (_health, app) = serve(
        &credential,
        &env("HR_TEST_SERVICEBUS"),
        &env("HR_TEST_OPENAI"),
        Duration::from_secs(5),
    )
    .await;
    let probed = probe(&app, "/health/ready").await;
    let body = String::from_utf8_lossy(&probed.response.body).into_owned();
    assert!(!body.contains("k8s-token-of-another-pod"), "{body}");
    let error = probed.assert_unhealthy("servicebus", &["servicebus: no token for sb://"]);
    assert!(
        error.contains("Entra ID token from workload identity")
            && error.contains("WorkloadIdentityCredential authentication failed")
            && error.contains("AADSTS700213"),
        "{error}"
    );
}

/// A temporary directory removed on drop.
mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }

    impl Dir {
        pub fn new() -> Dir {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "health-runtime-azure-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).expect("create a temporary directory");
            Dir { path }
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
