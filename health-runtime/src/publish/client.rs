//! The few HTTP requests the library sends itself: a webhook's POST and the status page's
//! fleet GETs. HTTP/1 on hyper (already the server's), one connection per request and
//! `Connection: close`: these are rare, and a connection never outlives its request, even
//! when the caller's timeout drops it. `https://` with the `webhook` feature (rustls, the
//! Mozilla roots); plain `http://` otherwise.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Where requests go: parsed once, when configured.
#[derive(Clone)]
pub(crate) struct Target {
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    path: String,
}

/// What came back: the status and at most the body limit of the body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    #[cfg_attr(not(feature = "ui"), allow(dead_code))]
    pub(crate) body: Bytes,
}

const USER_AGENT_VALUE: &str = concat!("health-runtime/", env!("CARGO_PKG_VERSION"));

impl Target {
    /// `url` as a target; the reason when it is not an `http://` (or, with the `webhook`
    /// feature, `https://`) URL with a host. The reason never quotes the URL.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|_| "not a valid absolute URL".to_owned())?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") if cfg!(feature = "webhook") => true,
            Some("https") => {
                return Err("`https://` needs the `webhook` feature (its TLS stack)".to_owned());
            }
            _ => return Err("the scheme must be `http://` or `https://`".to_owned()),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| "the URL names no host".to_owned())?;
        if authority.as_str().contains('@') {
            return Err("user info in the URL is not supported".to_owned());
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if host.is_empty() {
            return Err("the URL names no host".to_owned());
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned());
        Ok(Target {
            tls,
            host,
            port,
            authority: authority.as_str().to_owned(),
            path,
        })
    }

    /// The host, as logs and names may show it.
    #[cfg_attr(not(feature = "webhook"), allow(dead_code))]
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The path and query.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// `host:port`.
    #[cfg_attr(not(feature = "ui"), allow(dead_code))]
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The same host with `path` instead.
    #[cfg_attr(not(feature = "ui"), allow(dead_code))]
    pub(crate) fn with_path(&self, path: &str) -> Target {
        Target {
            path: path.to_owned(),
            ..self.clone()
        }
    }

    /// Sends one request and reads at most `limit` bytes of the answer's body. Errors
    /// name the stage that failed, never the URL.
    pub(crate) async fn send(
        &self,
        method: Method,
        body: Option<(&'static str, Bytes)>,
        limit: usize,
    ) -> Result<Answer, String> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|error| format!("connect: {error}"))?;
        let _ = stream.set_nodelay(true);
        if self.tls {
            return self.send_tls(stream, method, body, limit).await;
        }
        exchange(stream, self.request(method, body)?, limit).await
    }

    #[cfg(feature = "webhook")]
    async fn send_tls(
        &self,
        stream: TcpStream,
        method: Method,
        body: Option<(&'static str, Bytes)>,
        limit: usize,
    ) -> Result<Answer, String> {
        use tokio_rustls::TlsConnector;
        use tokio_rustls::rustls::pki_types::ServerName;
        let name = ServerName::try_from(self.host.clone())
            .map_err(|error| format!("TLS server name: {error}"))?;
        let stream = TlsConnector::from(crate::tls::public_config())
            .connect(name, stream)
            .await
            .map_err(|error| format!("TLS: {error}"))?;
        exchange(stream, self.request(method, body)?, limit).await
    }

    #[cfg(not(feature = "webhook"))]
    async fn send_tls(
        &self,
        _: TcpStream,
        _: Method,
        _: Option<(&'static str, Bytes)>,
        _: usize,
    ) -> Result<Answer, String> {
        Err("`https://` needs the `webhook` feature".to_owned())
    }

    fn request(
        &self,
        method: Method,
        body: Option<(&'static str, Bytes)>,
    ) -> Result<Request<Full<Bytes>>, String> {
        let mut builder = Request::builder()
            .method(method)
            .uri(self.path.as_str())
            .header(HOST, self.authority.as_str())
            .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE))
            .header(CONNECTION, HeaderValue::from_static("close"));
        let body = match body {
            Some((content_type, body)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                body
            }
            None => Bytes::new(),
        };
        builder
            .body(Full::new(body))
            .map_err(|error| format!("request: {error}"))
    }
}

/// One request on `stream`, the connection driven beside it: when the caller gives up
/// (its timeout), both are dropped and the socket closed.
async fn exchange<S>(
    stream: S,
    request: Request<Full<Bytes>>,
    limit: usize,
) -> Result<Answer, String>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("HTTP handshake: {error}"))?;
    let answer = async move {
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("request: {error}"))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|error| format!("reading the answer: {error}"))?
            .to_bytes();
        Ok(Answer { status, body })
    };
    tokio::pin!(connection, answer);
    tokio::select! {
        biased;
        answer = &mut answer => answer,
        ended = &mut connection => match ended {
            // Closed after answering (`Connection: close`): the answer is read already,
            // or its request fails; either way it ends now.
            Ok(()) => answer.await,
            Err(error) => Err(format!("connection: {error}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Target;

    #[test]
    fn parses_hosts_ports_and_paths_and_refuses_what_it_cannot_send_to() {
        let target = Target::parse("http://127.0.0.1:8080/hooks/abc?x=1").unwrap();
        assert_eq!(
            (target.host(), target.port, target.path.as_str()),
            ("127.0.0.1", 8080, "/hooks/abc?x=1")
        );
        let target = Target::parse("http://[::1]/").unwrap();
        assert_eq!((target.host(), target.port), ("::1", 80));
        assert_eq!(target.with_path("/health/ready").path, "/health/ready");
        for bad in [
            "",
            "hooks.example/x",
            "ftp://host/x",
            "http://user:pw@host/x",
        ] {
            let error = Target::parse(bad).err().unwrap();
            assert!(!error.contains("pw"), "{error}");
        }
    }
}
