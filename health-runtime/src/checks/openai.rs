//! The model lists of Azure OpenAI and OpenAI as [`HttpTarget`]s, for the `hyper` and
//! `reqwest` checks (either feature).
//!
//! Listing the models is the cheapest authenticated request both services document: it
//! proves the endpoint answers and the key is accepted, without spending tokens. Azure
//! OpenAI's data plane serves `GET {endpoint}/openai/models?api-version=...` with an
//! `api-key` header; its older `/openai/deployments` route is not served by the API
//! versions after `2023-03-15-preview`. OpenAI (and the servers compatible with it) serve
//! `GET {base_url}/models` with `Authorization: Bearer <key>`.
//!
//! ```
//! use health_runtime::checks::openai;
//!
//! let azure = openai::azure_models("https://my-resource.openai.azure.com", "not-a-real-key");
//! assert_eq!(azure.to_string(), "GET https://my-resource.openai.azure.com/openai/models");
//!
//! let proper = openai::models("https://api.openai.com/v1", "sk-not-a-real-key");
//! assert_eq!(proper.to_string(), "GET https://api.openai.com/v1/models");
//! ```

use super::HttpTarget;
#[cfg(feature = "azure-identity")]
use super::azure_identity::{AzureCredential, COGNITIVE_SERVICES_SCOPE};

/// The Azure OpenAI data-plane API version [`azure_models`] asks for: the latest
/// generally available one that serves the model list.
pub const AZURE_API_VERSION: &str = "2024-10-21";

/// `GET {endpoint}/openai/models?api-version=2024-10-21` with the `api-key` header.
///
/// `endpoint` is the resource's endpoint (`https://<resource>.openai.azure.com`); a
/// trailing slash is ignored.
///
/// ```
/// use health_runtime::checks::openai;
///
/// let target = openai::azure_models("https://myresource.openai.azure.com/", "key-from-env");
/// # let _ = target;
/// ```
pub fn azure_models(endpoint: impl AsRef<str>, api_key: impl AsRef<str>) -> HttpTarget {
    azure_models_with_version(endpoint, api_key, AZURE_API_VERSION)
}

/// [`azure_models`] with another `api-version` (a preview the application already uses).
///
/// ```
/// use health_runtime::checks::openai;
///
/// let target = openai::azure_models_with_version(
///     "https://myresource.openai.azure.com",
///     "key-from-env",
///     "2024-12-01-preview",
/// );
/// # let _ = target;
/// ```
pub fn azure_models_with_version(
    endpoint: impl AsRef<str>,
    api_key: impl AsRef<str>,
    api_version: impl AsRef<str>,
) -> HttpTarget {
    HttpTarget::get(azure_models_url(endpoint.as_ref(), api_version.as_ref()))
        .header("api-key", api_key)
}

fn azure_models_url(endpoint: &str, api_version: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let version: String = form_urlencoded::byte_serialize(api_version.as_bytes()).collect();
    format!("{endpoint}/openai/models?api-version={version}")
}

/// `GET {endpoint}/openai/models?api-version=2024-10-21` with `Authorization: Bearer` and
/// an Entra ID token of `credential` for `https://cognitiveservices.azure.com/.default`,
/// for resources whose key authentication is disabled. The identity needs the role
/// `Cognitive Services OpenAI User` on the resource to list its models.
///
/// ```no_run
/// use health_runtime::checks::azure_identity::AzureCredential;
/// use health_runtime::checks::openai;
///
/// let credential = AzureCredential::from_environment()?;
/// let target = openai::azure_models_with_identity("https://myresource.openai.azure.com", &credential);
/// assert_eq!(target.to_string(), "GET https://myresource.openai.azure.com/openai/models");
/// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
/// ```
#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub fn azure_models_with_identity(
    endpoint: impl AsRef<str>,
    credential: &AzureCredential,
) -> HttpTarget {
    azure_models_with_identity_and_version(endpoint, credential, AZURE_API_VERSION)
}

/// [`azure_models_with_identity`] with another `api-version`.
///
/// ```no_run
/// use health_runtime::checks::azure_identity::AzureCredential;
/// use health_runtime::checks::openai;
///
/// let credential = AzureCredential::from_environment()?;
/// let target = openai::azure_models_with_identity_and_version(
///     "https://myresource.openai.azure.com",
///     &credential,
///     "2024-12-01-preview",
/// );
/// # let _ = target;
/// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
/// ```
#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub fn azure_models_with_identity_and_version(
    endpoint: impl AsRef<str>,
    credential: &AzureCredential,
    api_version: impl AsRef<str>,
) -> HttpTarget {
    HttpTarget::get(azure_models_url(endpoint.as_ref(), api_version.as_ref()))
        .bearer_from(credential, COGNITIVE_SERVICES_SCOPE)
}

/// `GET {base_url}/models` with `Authorization: Bearer <api_key>`: OpenAI's own API
/// (`https://api.openai.com/v1`) and the servers compatible with it.
///
/// ```
/// use health_runtime::checks::openai;
///
/// let target = openai::models("https://api.openai.com/v1", "key-from-env");
/// # let _ = target;
/// ```
pub fn models(base_url: impl AsRef<str>, api_key: impl AsRef<str>) -> HttpTarget {
    let base_url = base_url.as_ref().trim_end_matches('/');
    HttpTarget::get(format!("{base_url}/models"))
        .header("authorization", format!("Bearer {}", api_key.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_route_carries_the_version_and_the_key_header() {
        let target = azure_models_with_version("https://r.openai.azure.com/", "k", "2025-01-01 x");
        let uri = target.request_uri().unwrap();
        assert_eq!(
            uri.to_string(),
            "https://r.openai.azure.com/openai/models?api-version=2025-01-01+x"
        );
        assert_eq!(target.headers()["api-key"], "k");
    }

    #[test]
    fn openai_route_sends_a_bearer_token() {
        let target = models("https://api.openai.com/v1/", "sk-1");
        assert_eq!(
            target.request_uri().unwrap().to_string(),
            "https://api.openai.com/v1/models"
        );
        assert_eq!(target.headers()["authorization"], "Bearer sk-1");
    }
}
