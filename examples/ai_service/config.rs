//! The service's configuration, read from the environment.

use health_runtime::checks::HttpTarget;
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
    /// `SERVICEBUS_CONNECTION_STRING`: the portal's connection string of the queue
    /// (with its `EntityPath`).
    pub servicebus: Option<String>,
}

/// The OpenAI endpoint and its key.
#[derive(Clone)]
pub enum OpenAiConfig {
    /// `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_API_KEY`, both needed;
    /// `AZURE_OPENAI_API_VERSION` optional.
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
    /// The key, to register as a secret of the service.
    pub fn api_key(&self) -> &str {
        match self {
            OpenAiConfig::Azure { api_key, .. } | OpenAiConfig::OpenAi { api_key, .. } => api_key,
        }
    }

    /// The request the check sends: the documented model-list route of each service.
    pub fn target(&self) -> HttpTarget {
        match self {
            OpenAiConfig::Azure {
                endpoint,
                api_key,
                api_version,
            } => openai::azure_models_with_version(endpoint, api_key, api_version),
            OpenAiConfig::OpenAi { base_url, api_key } => openai::models(base_url, api_key),
        }
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
        let azure = match (var("AZURE_OPENAI_ENDPOINT"), var("AZURE_OPENAI_API_KEY")) {
            (Some(endpoint), Some(api_key)) => Some(OpenAiConfig::Azure {
                endpoint,
                api_key,
                api_version: var("AZURE_OPENAI_API_VERSION")
                    .unwrap_or_else(|| openai::AZURE_API_VERSION.to_owned()),
            }),
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
            servicebus: var("SERVICEBUS_CONNECTION_STRING"),
        }
    }
}
