//! The service's configuration, read from the environment.

/// What the service connects to; every part is optional.
#[derive(Clone, Default)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `REDIS_URL`.
    pub redis_url: Option<String>,
    /// `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_API_KEY`, both needed.
    pub openai: Option<OpenAiConfig>,
}

/// An Azure OpenAI (or compatible) resource.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// `https://<resource>.openai.azure.com`, without a trailing slash.
    pub endpoint: String,
    /// The resource's key, sent as the `api-key` header.
    pub api_key: String,
}

impl Config {
    /// Reads the variables; empty ones count as unset.
    pub fn from_env() -> Config {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        let openai = match (var("AZURE_OPENAI_ENDPOINT"), var("AZURE_OPENAI_API_KEY")) {
            (Some(endpoint), Some(api_key)) => Some(OpenAiConfig {
                endpoint: endpoint.trim_end_matches('/').to_owned(),
                api_key,
            }),
            _ => None,
        };
        Config {
            database_url: var("DATABASE_URL"),
            redis_url: var("REDIS_URL"),
            openai,
        }
    }
}
