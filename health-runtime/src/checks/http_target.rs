//! What an HTTP check requests and which answers count as healthy.

use std::fmt;
use std::ops::RangeInclusive;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{StatusCode, Uri};

use crate::check::{Check, CheckOutcome};
#[cfg(feature = "azure-identity")]
use crate::checks::azure_identity::{AccessTokens, AzureCredential};
use crate::redact::{Secrets, is_secret_key};

/// The request of an HTTP check (`GET url` with headers) and the statuses that count as
/// healthy (by default `200..=299`). Shared by the `hyper` and `reqwest` checks.
///
/// Header values are marked sensitive and never appear in an error; error messages name
/// the URL without its query string or user info. User info in the URL
/// (`https://user:password@host/`) is sent as `Authorization: Basic …`, as browsers and
/// curl do, and taken out of the request URL; an `Authorization` header set with
/// [`header`](HttpTarget::header) replaces it.
///
/// Mistakes (an invalid URL, header name or value) are reported when the check runs, as an
/// unhealthy outcome naming the mistake but not the value, so that a target can be built
/// in one expression.
///
/// ```
/// use health_runtime::checks::HttpTarget;
///
/// let endpoint = "https://my-resource.openai.azure.com";
/// let api_key = "not-a-real-key";
/// let target = HttpTarget::get(format!(
///     "{endpoint}/openai/deployments?api-version=2024-12-01-preview"
/// ))
/// .header("api-key", api_key)
/// .accept(200..=299);
/// assert_eq!(
///     target.to_string(),
///     "GET https://my-resource.openai.azure.com/openai/deployments"
/// );
/// assert!(target.accepts(200) && !target.accepts(401));
/// ```
#[derive(Clone)]
pub struct HttpTarget {
    uri: Result<Uri, String>,
    headers: HeaderMap,
    accepted: Vec<RangeInclusive<u16>>,
    mistake: Option<String>,
    /// The password of the URL's user info, which the URL no longer holds.
    url_password: Option<String>,
    /// Whether `Authorization` holds the Basic credentials of the URL's user info (an
    /// explicit header replaces them).
    basic_from_url: bool,
    /// Entra ID tokens sent as `Authorization: Bearer`, the token in hand at each run.
    #[cfg(feature = "azure-identity")]
    bearer: Option<AccessTokens>,
}

impl HttpTarget {
    /// `GET url`.
    pub fn get(url: impl AsRef<str>) -> Self {
        let uri = url
            .as_ref()
            .parse::<Uri>()
            .map_err(|error| format!("invalid URL for the HTTP check: {error}"))
            .and_then(|uri| match (uri.scheme(), uri.authority()) {
                (Some(_), Some(_)) => Ok(uri),
                _ => Err("invalid URL for the HTTP check: it needs a scheme and a host".to_owned()),
            });
        let mut target = HttpTarget {
            uri,
            headers: HeaderMap::new(),
            accepted: Vec::new(),
            mistake: None,
            url_password: None,
            basic_from_url: false,
            #[cfg(feature = "azure-identity")]
            bearer: None,
        };
        target.move_user_info_to_basic_auth();
        target
    }

    /// Takes the URL's user info out of the URL into `Authorization: Basic`, its parts
    /// percent-decoded (`user:p%40ss` is the password `p@ss`).
    fn move_user_info_to_basic_auth(&mut self) {
        use base64::Engine as _;

        let Ok(uri) = &self.uri else { return };
        let Some((user_info, host)) = uri.authority().and_then(|a| a.as_str().rsplit_once('@'))
        else {
            return;
        };
        let (user, password) = match user_info.split_once(':') {
            Some((user, password)) => (percent_decode(user), Some(percent_decode(password))),
            None => (percent_decode(user_info), None),
        };
        let credentials = format!("{user}:{}", password.as_deref().unwrap_or(""));
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        let mut parts = uri.clone().into_parts();
        parts.authority = host.parse().ok();
        match (
            Uri::from_parts(parts),
            HeaderValue::try_from(format!("Basic {encoded}")),
        ) {
            (Ok(without), Ok(mut basic)) => {
                basic.set_sensitive(true);
                self.uri = Ok(without);
                self.headers.insert(http::header::AUTHORIZATION, basic);
                self.basic_from_url = true;
                self.url_password = password.filter(|password| !password.is_empty());
            }
            _ => self.record("invalid user info in the URL of the HTTP check".to_owned()),
        }
    }

    /// Adds a request header (an `api-key`, an `Authorization`). Its value is marked
    /// sensitive and never shown.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        let name = match HeaderName::try_from(name) {
            Ok(name) => name,
            Err(_) => {
                self.record(format!("invalid header name `{name}` for the HTTP check"));
                return self;
            }
        };
        match HeaderValue::try_from(value.as_ref()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                if name == http::header::AUTHORIZATION && self.basic_from_url {
                    self.headers.remove(&name);
                    self.basic_from_url = false;
                }
                self.headers.append(name, value);
            }
            Err(_) => self.record(format!(
                "invalid value for header `{name}` of the HTTP check (value not shown)"
            )),
        }
        self
    }

    /// Sends `Authorization: Bearer <token>` with an Entra ID token of `credential` for
    /// `scope`, the token in hand at each run (cached and refreshed ahead of expiry; see
    /// [`azure_identity`](crate::checks::azure_identity)). A run without a token is
    /// unhealthy with the reason it could not be fetched. The builder forms of the `hyper`
    /// and `reqwest` checks register each token they send as a secret.
    ///
    /// ```no_run
    /// use health_runtime::checks::HttpTarget;
    /// use health_runtime::checks::azure_identity::AzureCredential;
    ///
    /// let credential = AzureCredential::from_environment()?;
    /// let target = HttpTarget::get("https://search.internal.example/health")
    ///     .bearer_from(&credential, "api://search/.default");
    /// # let _ = target;
    /// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
    /// ```
    #[cfg(feature = "azure-identity")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
    #[must_use]
    pub fn bearer_from(mut self, credential: &AzureCredential, scope: &str) -> Self {
        if self.basic_from_url {
            self.headers.remove(http::header::AUTHORIZATION);
            self.basic_from_url = false;
        }
        self.bearer = Some(credential.tokens_for(scope));
        self
    }

    /// The `Authorization` value of an Entra ID token, for a target that sends one (added
    /// to `secrets` first); `None` for the others.
    pub(crate) async fn bearer_authorization(
        &self,
        secrets: Option<&Secrets>,
    ) -> Result<Option<HeaderValue>, CheckOutcome> {
        #[cfg(feature = "azure-identity")]
        if let Some(tokens) = &self.bearer {
            let token = tokens
                .token()
                .await
                .map_err(|error| CheckOutcome::unhealthy(format!("{self}: {error}")))?;
            if let Some(secrets) = secrets {
                tokens.register(secrets, &token);
            }
            let value = token.bearer().cloned().ok_or_else(|| {
                CheckOutcome::unhealthy(format!("{self}: the token is not a header value"))
            })?;
            return Ok(Some(value));
        }
        let _ = secrets;
        Ok(None)
    }

    /// Accepts the statuses in `statuses` as healthy. The first call replaces the default
    /// `200..=299`; later calls add to it.
    #[must_use]
    pub fn accept(mut self, statuses: RangeInclusive<u16>) -> Self {
        self.accepted.push(statuses);
        self
    }

    /// Accepts `status` as healthy, like [`HttpTarget::accept`] with a one-status range.
    #[must_use]
    pub fn accept_status(self, status: u16) -> Self {
        self.accept(status..=status)
    }

    /// Whether `status` counts as healthy.
    pub fn accepts(&self, status: u16) -> bool {
        if self.accepted.is_empty() {
            (200..=299).contains(&status)
        } else {
            self.accepted.iter().any(|range| range.contains(&status))
        }
    }

    /// The request URL, or the unhealthy outcome describing why the target is invalid.
    pub(crate) fn request_uri(&self) -> Result<&Uri, CheckOutcome> {
        if let Some(mistake) = &self.mistake {
            return Err(CheckOutcome::unhealthy(mistake.clone()));
        }
        self.uri
            .as_ref()
            .map_err(|mistake| CheckOutcome::unhealthy(mistake.clone()))
    }

    /// The request headers.
    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `check` with the credentials of this target registered as its secrets: the URL's
    /// password, the values of secret-sounding query parameters and headers
    /// (`Authorization`, `api-key`), and the credential after an `Authorization` scheme.
    pub(crate) fn register_secrets(&self, check: Check) -> Check {
        self.secrets()
            .into_iter()
            .fold(check, |check, secret| check.secret(secret))
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.url_password.iter().cloned().collect();
        let Ok(uri) = &self.uri else {
            return secrets;
        };
        let query = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes());
        secrets.extend(
            query
                .filter(|(key, _)| is_secret_key(key))
                .map(|(_, value)| value.into_owned()),
        );
        for (name, value) in &self.headers {
            if !is_secret_key(name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if let Some((_scheme, credential)) = value.split_once(' ') {
                secrets.push(credential.trim().to_owned());
            }
            secrets.push(value);
        }
        secrets.retain(|secret| !secret.is_empty());
        secrets
    }

    /// The outcome of an answer with `status`.
    pub(crate) fn judge(&self, status: StatusCode) -> CheckOutcome {
        if self.accepts(status.as_u16()) {
            CheckOutcome::healthy().with_detail("status", status.as_u16())
        } else {
            CheckOutcome::unhealthy(format!(
                "{self} answered HTTP {status}; accepted: {}",
                self.accepted_text()
            ))
            .with_detail("status", status.as_u16())
        }
    }

    fn accepted_text(&self) -> String {
        if self.accepted.is_empty() {
            return "200-299".to_owned();
        }
        let ranges: Vec<String> = self
            .accepted
            .iter()
            .map(|range| {
                if range.start() == range.end() {
                    range.start().to_string()
                } else {
                    format!("{}-{}", range.start(), range.end())
                }
            })
            .collect();
        ranges.join(", ")
    }

    fn record(&mut self, mistake: String) {
        self.mistake.get_or_insert(mistake);
    }
}

/// `GET scheme://host:port/path`: no user info, no query string, no header.
/// `%XX` sequences decoded; a malformed one is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok());
        match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
            Some(byte) if bytes[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for HttpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.uri {
            Ok(uri) => {
                let scheme = uri.scheme_str().unwrap_or("http");
                let authority = uri.authority().map_or("", |a| a.as_str());
                let host = authority.rsplit('@').next().unwrap_or(authority);
                write!(f, "GET {scheme}://{host}{}", uri.path())
            }
            Err(_) => f.write_str("GET <invalid URL>"),
        }
    }
}

impl fmt::Debug for HttpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("HttpTarget")
            .field("request", &self.to_string())
            .field("headers", &header_names)
            .field("accepted", &self.accepted_text())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_hides_credentials_and_query() {
        let target = HttpTarget::get("http://user:pw@127.0.0.1:8080/v1/models?key=abc");
        assert_eq!(target.to_string(), "GET http://127.0.0.1:8080/v1/models");
    }

    #[test]
    fn user_info_is_sent_as_basic_authorization_and_leaves_the_url() {
        let target = HttpTarget::get("http://us%40er:p%3As%2Fs@127.0.0.1:8080/v1?x=1");
        assert_eq!(
            target.request_uri().unwrap().to_string(),
            "http://127.0.0.1:8080/v1?x=1"
        );
        let basic = &target.headers()[http::header::AUTHORIZATION];
        // base64("us@er:p:s/s")
        assert_eq!(basic, "Basic dXNAZXI6cDpzL3M=");
        assert!(basic.is_sensitive());
        assert!(target.secrets().contains(&"p:s/s".to_owned()));
        assert_eq!(target.to_string(), "GET http://127.0.0.1:8080/v1");

        let user_only = HttpTarget::get("https://token@h/");
        // base64("token:")
        assert_eq!(
            user_only.headers()[http::header::AUTHORIZATION],
            "Basic dG9rZW46"
        );

        let explicit = HttpTarget::get("http://u:p@h/").header("Authorization", "Bearer t");
        let values: Vec<_> = explicit
            .headers()
            .get_all(http::header::AUTHORIZATION)
            .iter()
            .collect();
        assert_eq!(values, ["Bearer t"]);
    }

    #[test]
    fn mistakes_name_the_header_but_not_the_value() {
        let target = HttpTarget::get("http://127.0.0.1/").header("api-key", "sk-abc\n");
        let outcome = target.request_uri().unwrap_err();
        let message = outcome.message().unwrap();
        assert!(message.contains("api-key"), "{message}");
        assert!(!message.contains("sk-abc"), "{message}");
    }

    #[test]
    fn credentials_of_the_target_are_its_secrets() {
        let target = HttpTarget::get("https://u:p%40ss%2F@h/x?api-version=1&sig=s1g&key=k3y")
            .header("Authorization", "Bearer t0ken")
            .header("x-api-key", "xk")
            .header("accept", "application/json");
        let mut secrets = target.secrets();
        secrets.sort();
        assert_eq!(
            secrets,
            ["Bearer t0ken", "k3y", "p@ss/", "s1g", "t0ken", "xk"]
        );
    }

    #[test]
    fn accepted_statuses() {
        let default = HttpTarget::get("http://h/");
        assert!(default.accepts(204) && !default.accepts(301));
        let custom = HttpTarget::get("http://h/")
            .accept_status(401)
            .accept(200..=204);
        assert!(custom.accepts(401) && custom.accepts(202) && !custom.accepts(205));
        let outcome = custom.judge(StatusCode::NOT_FOUND);
        assert_eq!(
            outcome.message(),
            Some("GET http://h/ answered HTTP 404 Not Found; accepted: 401, 200-204")
        );
    }

    #[test]
    fn invalid_urls_are_reported_when_run() {
        let outcome = HttpTarget::get("not a url").request_uri().unwrap_err();
        assert!(outcome.message().unwrap().starts_with("invalid URL"));
        let outcome = HttpTarget::get("/relative").request_uri().unwrap_err();
        assert!(outcome.message().unwrap().contains("scheme and a host"));
    }
}
