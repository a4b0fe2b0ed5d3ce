//! The `ai_service` example on a Container App whose organisation disabled keys: with
//! `AZURE_OPENAI_ENDPOINT` and `SERVICEBUS_CONNECTION_STRING` but no key, it
//! authenticates both with the managed identity the platform gives it (`IDENTITY_ENDPOINT`,
//! `IDENTITY_HEADER`, served by the stand-in of `tests::entra_server`), and both checks are
//! healthy on the stand-ins of Azure OpenAI and Service Bus, which accept only the tokens
//! the stand-in issued.

use std::sync::Arc;
use std::time::Duration;

use tests::entra_server::{IDENTITY_HEADER, IdentityEndpoint};
use tests::example::{self, Service};
use tests::openai_server::OpenAiServer;
use tests::secrets::SECRET_API_KEY;
use tests::servicebus_peer::ServiceBusPeer;

/// The service's variables, unset so that nothing of the machine's environment leaks in.
const VARIABLES: [&str; 13] = [
    "DATABASE_URL",
    "REDIS_URL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "SERVICEBUS_CONNECTION_STRING",
    "SERVICEBUS_NAMESPACE",
    "SERVICEBUS_QUEUE",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "MSI_ENDPOINT",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picks_the_managed_identity_when_no_key_is_configured() {
    let endpoint = IdentityEndpoint::start().await;
    let authority = endpoint.authority();
    let openai = OpenAiServer::start().await;
    let valid = Arc::clone(&authority);
    openai.accept_bearer(move |token| valid.is_valid(token));
    let peer = ServiceBusPeer::start("jobs", SECRET_API_KEY).await;
    let valid = Arc::clone(&authority);
    peer.accept_jwt(move |token| valid.is_valid(token));

    let openai_endpoint = format!("http://{}", openai.direct_addr());
    let identity_endpoint = endpoint.identity_endpoint();
    // The emulator's form of a connection string (plain AMQP to the stand-in), no key.
    let servicebus = peer.identity_connection_string();
    let service = Service::start(
        &example::binary("ai_service"),
        &VARIABLES,
        &[
            ("AZURE_OPENAI_ENDPOINT", openai_endpoint.as_str()),
            ("SERVICEBUS_CONNECTION_STRING", servicebus.as_str()),
            ("IDENTITY_ENDPOINT", identity_endpoint.as_str()),
            ("IDENTITY_HEADER", IDENTITY_HEADER),
        ],
    );
    let ready = service
        .until("/health/ready", Duration::from_secs(30), |_, body| {
            body["checks"]["openai"]["healthy"] == true
                && body["checks"]["servicebus"]["healthy"] == true
        })
        .await;
    assert!(!ready.to_string().contains(IDENTITY_HEADER), "{ready}");
    // A token for each scope, asked of the Container App's endpoint.
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
    assert_eq!(peer.seen().put_tokens[0].token_type, "jwt");
}
