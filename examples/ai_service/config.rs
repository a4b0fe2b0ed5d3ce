//! The service's configuration, read from the environment.

use health_runtime::checks::HttpTarget;
use health_runtime::checks::azure_identity::AzureCredential;
use health_runtime::checks::openai;

/// What the service connects to; every part is optional.
#[derive(Clone, Default)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `REDIS_URL`.
    pub redis_url: Option<String>,
    /// The model list the OpenAI check requests: Azure OpenAI's, or OpenAI's.
    pub openai: Option<OpenAiConfig>,
    /// The Service Bus queue.
    pub servicebus: Option<ServiceBusConfig>,
}

/// The Service Bus queue and how the service is authorised on it.
#[derive(Clone)]
pub enum ServiceBusConfig {
    /// `SERVICEBUS_CONNECTION_STRING`: the portal's connection string of the queue (with
    /// its `EntityPath` and key).
    Key(String),
    /// `SERVICEBUS_CONNECTION_STRING` without a key (`Endpoint=...;EntityPath=...`): the
    /// service's Entra ID identity.
    IdentityString(String),
    /// `SERVICEBUS_NAMESPACE` (`my-ns.servicebus.windows.net`) and `SERVICEBUS_QUEUE`,
    /// without a key: the service's Entra ID identity, which needs the role `Azure Service
    /// Bus Data Receiver` on the queue.
    Identity {
        /// The namespace's host name.
        namespace: String,
        /// The queue.
        queue: String,
    },
}

/// The OpenAI endpoint and its key.
#[derive(Clone)]
pub enum OpenAiConfig {
    /// `AZURE_OPENAI_ENDPOINT` without `AZURE_OPENAI_API_KEY`: the service's Entra ID
    /// identity (a bearer token), which needs the role `Cognitive Services OpenAI User` on
    /// the resource; `AZURE_OPENAI_API_VERSION` optional.
    AzureIdentity {
        /// `https://<resource>.openai.azure.com`.
        endpoint: String,
        /// The data-plane API version (default: the latest generally available one).
        api_version: String,
    },
    /// `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_API_KEY`; `AZURE_OPENAI_API_VERSION`
    /// optional.
    Azure {
        /// `https://<resource>.openai.azure.com`.
        endpoint: String,
        /// The resource's key, sent as the `api-key` header.
        api_key: String,
        /// The data-plane API version (default: the latest generally available one).
        api_version: String,
    },
    /// `OPENAI_API_KEY`, with `OPENAI_BASE_URL` optional (`https://api.openai.com/v1`).
    OpenAi {
        /// The API's base URL.
        base_url: String,
        /// The key, sent as a bearer token.
        api_key: String,
    },
}

impl OpenAiConfig {
    /// The key, to register as a secret of the service (none with an identity).
    pub fn api_key(&self) -> Option<&str> {
        match self {
            OpenAiConfig::Azure { api_key, .. } | OpenAiConfig::OpenAi { api_key, .. } => {
                Some(api_key)
            }
            OpenAiConfig::AzureIdentity { .. } => None,
        }
    }

    /// Whether the service authenticates with its Entra ID identity.
    pub fn uses_identity(&self) -> bool {
        matches!(self, OpenAiConfig::AzureIdentity { .. })
    }

    /// The request the check sends: the documented model-list route of each service;
    /// `credential` is the service's identity, for a resource without a key.
    pub fn target(&self, credential: Option<&AzureCredential>) -> Result<HttpTarget, String> {
        Ok(match self {
            OpenAiConfig::AzureIdentity {
                endpoint,
                api_version,
            } => {
                let credential = credential.ok_or("no Entra ID credential")?;
                openai::azure_models_with_identity_and_version(endpoint, credential, api_version)
            }
            OpenAiConfig::Azure {
                endpoint,
                api_key,
                api_version,
            } => openai::azure_models_with_version(endpoint, api_key, api_version),
            OpenAiConfig::OpenAi { base_url, api_key } => openai::models(base_url, api_key),
        })
    }
}

impl Config {
    /// Reads the variables; empty ones count as unset.
    pub fn from_env() -> Config {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        let api_version =
            var("AZURE_OPENAI_API_VERSION").unwrap_or_else(|| openai::AZURE_API_VERSION.to_owned());
        let azure = match (var("AZURE_OPENAI_ENDPOINT"), var("AZURE_OPENAI_API_KEY")) {
            (Some(endpoint), Some(api_key)) => Some(OpenAiConfig::Azure {
                endpoint,
                api_key,
                api_version,
            }),
            // No key: the resource allows Entra ID only, or the service prefers its identity.
            (Some(endpoint), None) => Some(OpenAiConfig::AzureIdentity {
                endpoint,
                api_version,
            }),
            _ => None,
        };
        let servicebus = match (
            var("SERVICEBUS_CONNECTION_STRING"),
            var("SERVICEBUS_NAMESPACE"),
            var("SERVICEBUS_QUEUE"),
        ) {
            (Some(text), _, _) if text.to_ascii_lowercase().contains("sharedaccess") => {
                Some(ServiceBusConfig::Key(text))
            }
            (Some(text), _, _) => Some(ServiceBusConfig::IdentityString(text)),
            (None, Some(namespace), Some(queue)) => {
                Some(ServiceBusConfig::Identity { namespace, queue })
            }
            _ => None,
        };
        let openai = azure.or_else(|| {
            var("OPENAI_API_KEY").map(|api_key| OpenAiConfig::OpenAi {
                base_url: var("OPENAI_BASE_URL")
                    .unwrap_or_else(|| "https://api.openai.com/v1".to_owned()),
                api_key,
            })
        });
        Config {
            database_url: var("DATABASE_URL"),
            redis_url: var("REDIS_URL"),
            openai,
            servicebus,
        }
    }

    /// Whether a dependency is to be reached with the service's Entra ID identity.
    pub fn uses_identity(&self) -> bool {
        self.openai
            .as_ref()
            .is_some_and(OpenAiConfig::uses_identity)
            || matches!(
                self.servicebus,
                Some(ServiceBusConfig::Identity { .. } | ServiceBusConfig::IdentityString(_))
            )
    }
}
