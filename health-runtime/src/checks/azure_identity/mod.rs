//! Entra ID tokens for the Azure checks, from the official [`azure_identity`] crate (feature
//! `azure-identity`): Service Bus ([`ServiceBus::with_identity`](super::fe2o3_amqp::ServiceBus),
//! with the `fe2o3-amqp` feature) and Azure OpenAI
//! ([`openai::azure_models_with_identity`](super::openai), with `hyper` or `reqwest`), for
//! services whose organisation disabled key authentication and gave them an identity.
//!
//! [`AzureCredential::from_environment`] picks the identity the platform gives the
//! process, as Microsoft's clients do:
//!
//! | platform | environment (set by the platform) | credential |
//! |---|---|---|
//! | AKS with workload identity | `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_AUTHORITY_HOST` | `WorkloadIdentityCredential` |
//! | Container Apps, App Service, Functions | `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` (and `AZURE_CLIENT_ID` for a user-assigned identity) | `ManagedIdentityCredential` |
//! | a virtual machine, AKS node identity | none (IMDS at `169.254.169.254`; `AZURE_CLIENT_ID` for a user-assigned identity) | `ManagedIdentityCredential` |
//!
//! Any other `TokenCredential` (a service principal, the Azure CLI on a developer's machine)
//! is taken as it is with [`AzureCredential::from_credential`].
//!
//! Tokens are cached per scope and refreshed ahead of expiry by a task of their own, so a
//! probe uses the token in hand and never waits on a fetch that could have been done
//! earlier. A fetch that fails is the check's error (naming where the token comes from,
//! never a credential), at once if an earlier fetch failed, else when the check's timeout
//! ends. Every token is scrubbed from reports and logs: the checks built with
//! `check`/`check_with` register the token each run uses, and
//! [`AzureCredential::redact_in`] registers every token as it is fetched for checks that
//! run in a `#[health_check]` body.
//!
//! Token requests go through [`HttpsTransport`] (hyper and rustls with ring; no reqwest, no
//! OpenSSL).
//!
//! ```no_run,standalone_crate
//! use health_runtime::checks::azure_identity::AzureCredential;
//! use health_runtime::checks::fe2o3_amqp::{self, ServiceBus};
//! use health_runtime::checks::{openai, reqwest};
//! use health_runtime::Health;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let credential = AzureCredential::from_environment()?;
//! let bus = ServiceBus::with_identity("orders.servicebus.windows.net", "orders", &credential);
//! let models = openai::azure_models_with_identity("https://my-resource.openai.azure.com", &credential);
//! let health = Health::builder()
//!     .check(fe2o3_amqp::check_with("servicebus", bus))
//!     .check(reqwest::check("openai", models))
//!     .build()?;
//! # let _ = health;
//! # Ok(()) }
//! ```

mod tokens;
mod transport;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use ::azure_identity::{
    ClientAssertionCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, RetryOptions, Transport};

pub(crate) use tokens::AccessTokens;
use tokens::Redaction;
pub use transport::HttpsTransport;

use crate::redact::Secrets;

/// The scope of Entra ID tokens for Azure OpenAI (and the other Cognitive Services).
pub const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";
/// The scope of Entra ID tokens for Service Bus.
pub const SERVICE_BUS_SCOPE: &str = "https://servicebus.azure.net/.default";

/// An Entra ID identity the checks authenticate with: a credential of `azure_identity` and
/// the tokens it fetched, per scope. Cheap to clone: every clone shares the tokens.
///
/// ```no_run
/// use health_runtime::checks::azure_identity::AzureCredential;
///
/// let credential = AzureCredential::from_environment()?;
/// println!("authenticating as {}", credential.source());
/// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
/// ```
#[derive(Clone)]
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
    source: Arc<str>,
    tokens: Arc<Mutex<HashMap<String, AccessTokens>>>,
    redaction: Arc<Redaction>,
}

/// Why no credential could be built from the environment; names the variable at fault,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityError(String);

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no Entra ID credential: {}", self.0)
    }
}

impl std::error::Error for IdentityError {}

/// Why no token is in hand: the last fetch's failure, naming where the token comes from and
/// its scope, never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError(String);

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TokenError {}

impl AzureCredential {
    /// The identity the platform gives the process: workload identity when
    /// `AZURE_FEDERATED_TOKEN_FILE` is set (AKS), else managed identity — the local
    /// endpoint of Container Apps and App Service when `IDENTITY_ENDPOINT` and
    /// `IDENTITY_HEADER` are set, else IMDS — user-assigned when `AZURE_CLIENT_ID` is set.
    /// Token requests verify `https://` against the Mozilla roots.
    ///
    /// ```no_run
    /// let credential = health_runtime::checks::azure_identity::AzureCredential::from_environment()?;
    /// # let _ = credential;
    /// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
    /// ```
    pub fn from_environment() -> Result<AzureCredential, IdentityError> {
        AzureCredential::from_environment_with(HttpsTransport::new())
    }

    /// [`AzureCredential::from_environment`], token requests sent with `transport` (one
    /// trusting the private CA in front of a sovereign or private authority host).
    ///
    /// ```no_run
    /// use health_runtime::checks::azure_identity::{AzureCredential, HttpsTransport};
    /// use tokio_rustls::rustls::pki_types::CertificateDer;
    ///
    /// let ca = CertificateDer::from(std::fs::read("/etc/ssl/private-ca.der").unwrap_or_default());
    /// let credential = AzureCredential::from_environment_with(HttpsTransport::trusting([ca]))?;
    /// # let _ = credential;
    /// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
    /// ```
    pub fn from_environment_with(
        transport: HttpsTransport,
    ) -> Result<AzureCredential, IdentityError> {
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(transport))),
            // The refresh task retries on its own schedule; a fetch reports its failure.
            retry: RetryOptions::none(),
            ..ClientOptions::default()
        };
        let present = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        if present("AZURE_FEDERATED_TOKEN_FILE") {
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions { client_options },
                ..WorkloadIdentityCredentialOptions::default()
            };
            let credential = WorkloadIdentityCredential::new(Some(options))
                .map_err(|error| IdentityError(format!("workload identity: {error}")))?;
            return Ok(AzureCredential::new(
                credential,
                "workload identity",
                Vec::new(),
            ));
        }
        let user_assigned_id = std::env::var("AZURE_CLIENT_ID")
            .ok()
            .filter(|id| !id.is_empty())
            .map(UserAssignedId::ClientId);
        let kind = if present("IDENTITY_ENDPOINT") && present("IDENTITY_HEADER") {
            "managed identity (Container Apps / App Service)"
        } else {
            "managed identity (IMDS)"
        };
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id,
            client_options,
        };
        let credential = ManagedIdentityCredential::new(Some(options))
            .map_err(|error| IdentityError(format!("{kind}: {error}")))?;
        // The local endpoint's own secret: scrubbed wherever a token would be.
        let fixed = std::env::var("IDENTITY_HEADER").into_iter().collect();
        Ok(AzureCredential::new(credential, kind, fixed))
    }

    /// Any `TokenCredential` the application built (a `ClientSecretCredential`, the Azure
    /// CLI's on a developer's machine, one of its own).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
    /// use health_runtime::checks::azure_identity::AzureCredential;
    ///
    /// #[derive(Debug)]
    /// struct Vault;
    ///
    /// #[async_trait::async_trait]
    /// impl TokenCredential for Vault {
    ///     async fn get_token(
    ///         &self,
    ///         _scopes: &[&str],
    ///         _options: Option<TokenRequestOptions<'_>>,
    ///     ) -> azure_core::Result<AccessToken> {
    ///         unimplemented!("fetch a token")
    ///     }
    /// }
    ///
    /// let credential = AzureCredential::from_credential(Arc::new(Vault));
    /// assert!(credential.source().contains("Vault"));
    /// ```
    pub fn from_credential(credential: Arc<dyn TokenCredential>) -> AzureCredential {
        let name = format!("{credential:?}");
        let name: String = name
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("credential")
            .rsplit("::")
            .next()
            .unwrap_or("credential")
            .chars()
            .take(60)
            .collect();
        AzureCredential::new(credential, &name, Vec::new())
    }

    fn new(
        credential: Arc<dyn TokenCredential>,
        source: &str,
        fixed_secrets: Vec<String>,
    ) -> AzureCredential {
        AzureCredential {
            credential,
            source: source.into(),
            tokens: Arc::default(),
            redaction: Arc::new(Redaction::with_fixed(fixed_secrets)),
        }
    }

    /// Where the tokens come from, as error messages name it (`workload identity`,
    /// `managed identity (IMDS)`, the type of a credential given).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Registers every token of this credential, as it is fetched, in `secrets` (a
    /// [`Health::secrets`](crate::Health::secrets)): for checks that run in a
    /// `#[health_check]` body, where no builder registers them.
    ///
    /// ```no_run
    /// use health_runtime::Health;
    /// use health_runtime::checks::azure_identity::AzureCredential;
    ///
    /// let health = Health::new();
    /// let credential = AzureCredential::from_environment()?;
    /// credential.redact_in(health.secrets());
    /// health.provide(credential);
    /// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
    /// ```
    pub fn redact_in(&self, secrets: &Secrets) {
        self.redaction.add_set(secrets);
        for tokens in self.lock_tokens().values() {
            if let Some(token) = tokens.peek() {
                tokens.register(secrets, &token);
            }
        }
    }

    /// The token in hand for `scope` (cached, and refreshed ahead of expiry from the first
    /// call on), for a check of your own: send it, never show it, and register it where
    /// its errors are reported ([`AzureCredential::redact_in`]).
    ///
    /// ```no_run
    /// use health_runtime::checks::azure_identity::AzureCredential;
    /// use health_runtime::{CheckOutcome, health_check};
    ///
    /// #[health_check(name = "vault", timeout_ms = 2000)]
    /// async fn vault(credential: &AzureCredential) -> CheckOutcome {
    ///     match credential.token("https://vault.azure.net/.default").await {
    ///         Ok(_token) => CheckOutcome::healthy(), // ... a request of your own with it
    ///         Err(error) => CheckOutcome::unhealthy(error.to_string()),
    ///     }
    /// }
    /// ```
    pub async fn token(&self, scope: &str) -> Result<String, TokenError> {
        let token = self.tokens_for(scope).token().await.map_err(TokenError)?;
        Ok(token.secret().to_owned())
    }

    /// The tokens of `scope`, shared by every check of this credential asking for it.
    pub(crate) fn tokens_for(&self, scope: &str) -> AccessTokens {
        self.lock_tokens()
            .entry(scope.to_owned())
            .or_insert_with(|| {
                AccessTokens::new(
                    Arc::clone(&self.credential),
                    scope,
                    Arc::clone(&self.source),
                    Arc::clone(&self.redaction),
                )
            })
            .clone()
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccessTokens>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}
