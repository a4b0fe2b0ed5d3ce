//! The HTTP client `azure_identity`'s credentials send their token requests with: hyper and
//! rustls (ring), instead of azure_core's reqwest, so the feature pulls no other TLS stack.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use azure_core::error::{Error, ErrorKind};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::request::{Body, Request};
use azure_core::http::{AsyncRawResponse, HttpClient, Method};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio_rustls::rustls::RootCertStore;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::checks::failure::error_chain;
use crate::tls;

/// The most of a token endpoint's answer that is read: a token and its expiry, or an error
/// description, weigh a few kilobytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// An [`HttpClient`] for `azure_identity`'s credentials over hyper and rustls: `https://`
/// verified against the Mozilla roots (or the private roots given), and plain `http://` for
/// the local identity endpoints (Container Apps' and App Service's `IDENTITY_ENDPOINT`,
/// IMDS). It follows no redirect and reads at most 64 KiB of an answer.
///
/// [`AzureCredential`](super::AzureCredential) gives it to the credentials it builds; give
/// it to your own in their `ClientOptions` when azure_core's own `reqwest` client is not
/// enabled:
///
/// ```
/// use std::sync::Arc;
/// use azure_core::http::{ClientOptions, Transport};
/// use health_runtime::checks::azure_identity::HttpsTransport;
///
/// let options = ClientOptions {
///     transport: Some(Transport::new(Arc::new(HttpsTransport::new()))),
///     ..ClientOptions::default()
/// };
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct HttpsTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    private_roots: bool,
}

impl HttpsTransport {
    /// `https://` verified against the Mozilla roots.
    ///
    /// ```
    /// let transport = health_runtime::checks::azure_identity::HttpsTransport::new();
    /// # let _ = transport;
    /// ```
    pub fn new() -> HttpsTransport {
        HttpsTransport::with_roots(tls::public_roots(), false)
    }

    /// `https://` verified against `roots` only (a private CA in front of the authority
    /// host, in DER); a root that does not parse is left out.
    ///
    /// ```
    /// use health_runtime::checks::azure_identity::HttpsTransport;
    /// use tokio_rustls::rustls::pki_types::CertificateDer;
    ///
    /// fn private(ca: CertificateDer<'static>) -> HttpsTransport {
    ///     HttpsTransport::trusting([ca])
    /// }
    /// # let _ = private;
    /// ```
    pub fn trusting(roots: impl IntoIterator<Item = CertificateDer<'static>>) -> HttpsTransport {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(roots);
        HttpsTransport::with_roots(Arc::new(store), true)
    }

    fn with_roots(roots: Arc<RootCertStore>, private_roots: bool) -> HttpsTransport {
        let config = tls::client_config(roots);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .build();
        HttpsTransport {
            client: Client::builder(TokioExecutor::new()).build(connector),
            private_roots,
        }
    }
}

impl Default for HttpsTransport {
    fn default() -> HttpsTransport {
        HttpsTransport::new()
    }
}

impl fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = if self.private_roots {
            "private"
        } else {
            "Mozilla"
        };
        f.debug_struct("HttpsTransport")
            .field("roots", &roots)
            .finish()
    }
}

#[async_trait::async_trait]
impl HttpClient for HttpsTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        // The query may carry a client id; the errors name the endpoint without it.
        let mut shown = request.url().clone();
        shown.set_query(None);
        let context = format!("{} {shown}", method_name(request.method()));
        let outgoing = to_hyper(request).map_err(|reason| {
            Error::with_message(ErrorKind::Other, format!("{context} not sent: {reason}"))
        })?;
        let response = self.client.request(outgoing).await.map_err(|error| {
            let kind = if error.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            Error::with_message(kind, format!("{context} failed: {}", error_chain(&error)))
        })?;
        let status = response.status().as_u16();
        let headers = to_headers(response.headers());
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|error| {
                Error::with_message(
                    ErrorKind::Io,
                    format!("{context} failed while reading the answer: {error}"),
                )
            })?
            .to_bytes();
        Ok(AsyncRawResponse::from_bytes(status.into(), headers, body))
    }
}

fn to_hyper(request: &Request) -> Result<http::Request<Full<Bytes>>, String> {
    let method = match request.method() {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Head => http::Method::HEAD,
        Method::Patch => http::Method::PATCH,
        _ => return Err("unsupported method".to_owned()),
    };
    let body = match request.body() {
        Body::Bytes(bytes) => Bytes::copy_from_slice(bytes),
        _ => return Err("streamed bodies are not supported".to_owned()),
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(request.url().as_str());
    for (name, value) in request.headers().iter() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(body))
        .map_err(|error| format!("invalid request: {error}"))
}

fn to_headers(map: &http::HeaderMap) -> Headers {
    let headers: HashMap<HeaderName, HeaderValue> = map
        .iter()
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((
                HeaderName::from(name.as_str().to_owned()),
                HeaderValue::from(value.to_owned()),
            ))
        })
        .collect();
    Headers::from(headers)
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
        Method::Patch => "PATCH",
        _ => "request",
    }
}
