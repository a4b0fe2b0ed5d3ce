//! A tiny HTTP health probe for container images without curl or a shell (distroless,
//! scratch): `GET` a URL under a timeout and turn the answer into an exit code, the way the
//! kubelet judges an `httpGet` probe.
//!
//! ```text
//! health-probe http://127.0.0.1:8000/health/ready --timeout 2s --header 'Accept: application/json'
//! ```
//!
//! exits 0 when the status is 2xx or 3xx, and 1 otherwise: a 4xx/5xx status, a refused
//! connection, a malformed answer, a body that cannot be read, or no answer within the
//! timeout.
//!
//! # As the kubelet probes
//!
//! The request and the rules for its answer are the kubelet's (`pkg/probe/http`, Go's
//! `net/http` client it runs), each with a test:
//!
//! - **The request** (`request.go`, `newProbeRequest`): `GET` on a fresh connection closed
//!   after the answer (`Connection: close`), `Accept: */*` unless a header sets `Accept` (an
//!   empty one removes it), the probe's headers as given (`Host` names the host; a name
//!   given twice sends both values).
//! - **Redirects** (`http.go`, `RedirectChecker`, and `Client.do`): a `Location` is resolved
//!   against the URL that answered it as Go's `net/url` does (RFC 3986, `../` and `./`
//!   removed); the redirect is followed when its host name equals the first request's,
//!   compared as written (case-sensitive, without port or IPv6 brackets: `[::1]:8000` and
//!   `::1` are one host, `localhost` and `LOCALHOST` two); another host ends the chain with
//!   its own 3xx, which counts as a success (the kubelet's warning); the 10th redirect is a
//!   failure. Each hop carries the probe's headers and a `Referer` naming the URL that
//!   redirected; a custom `Host` is kept through relative `Location`s only.
//! - **The answer** (`DoHTTPProbe`): 200 ≤ status < 400 is a success. The body is read, up
//!   to 10 KiB (`maxRespBodyLength`; a longer body is cut there, not an error): a body that
//!   stops short of its `Content-Length` or its last chunk, or is still arriving when the
//!   timeout runs out, is a failure.
//! - **The timeout** (`Client.Timeout`) bounds everything: name lookup, connections, every
//!   redirect, and the body.
//!
//! # Where it differs, being a Docker `HEALTHCHECK`
//!
//! - A body that cannot be read exits 1. The kubelet instead throws that result away
//!   (neither success nor failure) and tries again, up to three times.
//! - No TLS: a probe calls its own container on plain HTTP. An `https://` URL is refused;
//!   a same-host redirect to `https://` is followed and fails, as the kubelet's does
//!   against a plain-HTTP server (against a TLS server, the kubelet would go on).
//! - `User-Agent: health-probe/<version>` where the kubelet sends
//!   `kube-probe/<major>.<minor>` (`--header 'User-Agent: ...'` sets another).
//! - Host names resolve through the system's resolver rather than Go's.
//!
//! In a Dockerfile:
//!
//! ```text
//! COPY --from=build /app/target/release/health-probe /usr/local/bin/health-probe
//! HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
//!   CMD ["/usr/local/bin/health-probe", "http://127.0.0.1:8000/health", "--timeout", "2s"]
//! ```
//!
//! Docker's `--timeout` should exceed the probe's own, so that the probe reports why it
//! failed. The binary links only the C library; build it for `x86_64-unknown-linux-musl`
//! (or `aarch64-...`) to copy it into `distroless/static` or `scratch`.
//!
//! It speaks plain HTTP/1.1 over `std::net` with no dependency, so the binary stays a few
//! hundred kilobytes. The library is the same prober: [`HttpGet`] sends a probe,
//! [`Url`] reads URLs as Go does.

use std::fmt;
use std::time::Duration;

mod request;
mod url;
mod wire;

pub use request::{HttpGet, MAX_BODY};
pub use url::{Url, UrlError};

/// The answer that ended a probe's chain of redirects.
///
/// ```no_run
/// use std::time::Duration;
/// use health_probe::{HttpGet, Url};
///
/// let answer = HttpGet::new(Url::parse("http://127.0.0.1:8000/health").unwrap())
///     .send(Duration::from_secs(1))
///     .unwrap();
/// if answer.is_warning() {
///     println!("{} redirects elsewhere: not followed, counted as a success", answer.url);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its status code.
    pub status: u16,
    /// The URL that gave it.
    pub url: Url,
    /// How many redirects were followed to reach it.
    pub redirects: usize,
    /// Its body, up to [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// Whether the kubelet counts it as a success: 200 ≤ status < 400.
    pub fn is_success(&self) -> bool {
        is_success(self.status)
    }

    /// Whether it is a 3xx that ended the chain (a redirect to another host, or one
    /// without `Location`): a success the kubelet reports with a warning ("Probe
    /// terminated redirects").
    pub fn is_warning(&self) -> bool {
        (300..400).contains(&self.status)
    }
}

/// Why a probe has no answer to judge: a failure, whatever the cause.
///
/// ```
/// use health_probe::{ProbeError, Url};
///
/// match Url::parse("http://host:port/health") {
///     Err(error) => println!("not probed: {error}"),
///     Ok(url) => println!("{url}"),
/// }
/// assert!(ProbeError::Body("unexpected EOF".into()).is_body_error());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ProbeError {
    /// The URL given is not `http://host[:port][/path]`.
    InvalidUrl(String),
    /// The request cannot be sent: a header name or value, or a `Host`, no HTTP message
    /// may carry, or a port out of range.
    InvalidRequest(String),
    /// The host name does not resolve.
    Resolve(std::io::Error),
    /// Connecting, writing or reading the response head failed.
    Io(std::io::Error),
    /// The answer is not an HTTP/1.x response head.
    BadResponse(String),
    /// No response head within the timeout.
    TimedOut(Duration),
    /// A redirect's `Location` is not a URL.
    Redirect(String),
    /// The 10th redirect of a chain on the same host.
    TooManyRedirects,
    /// A redirect leads to a scheme this probe cannot speak: `https` (it has no TLS) or
    /// anything but `http`.
    UnsupportedScheme(String),
    /// The head arrived but the body could not be read: cut short of its length, broken,
    /// or still arriving when the timeout ran out. The kubelet throws such a result away
    /// and probes again ([`ProbeError::is_body_error`]).
    Body(String),
}

impl ProbeError {
    /// Whether the head arrived but the body could not be read: what the kubelet's
    /// `DoHTTPProbe` returns as an error rather than a failure, so that its prober retries.
    pub fn is_body_error(&self) -> bool {
        matches!(self, ProbeError::Body(_))
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::InvalidUrl(reason) => write!(f, "invalid URL: {reason}"),
            ProbeError::InvalidRequest(reason) => write!(f, "cannot send the request: {reason}"),
            ProbeError::Resolve(error) => write!(f, "cannot resolve the host: {error}"),
            ProbeError::Io(error) => write!(f, "{error}"),
            ProbeError::BadResponse(reason) => write!(f, "not an HTTP response: {reason}"),
            ProbeError::TooManyRedirects => f.write_str("stopped after 10 redirects"),
            ProbeError::Redirect(reason) => f.write_str(reason),
            ProbeError::UnsupportedScheme(scheme) if scheme == "https" => f.write_str(
                "cannot follow a redirect to https: health-probe speaks plain HTTP only \
                 (the kubelet would try a TLS handshake, which fails on a plain-HTTP server)",
            ),
            ProbeError::UnsupportedScheme(scheme) => {
                write!(f, "unsupported protocol scheme {scheme:?}")
            }
            ProbeError::Body(reason) => write!(f, "the body could not be read: {reason}"),
            ProbeError::TimedOut(timeout) => {
                write!(f, "no response within {} ms", timeout.as_millis())
            }
        }
    }
}

impl std::error::Error for ProbeError {}

/// The URL a command line names: `http://host[:port][/path]`, parsed as Go parses it.
/// `https` is refused, since the probe has no TLS.
///
/// ```
/// let url = health_probe::parse_target("http://[::1]:8000/health/ready").unwrap();
/// assert_eq!((url.hostname(), url.port()), ("::1", "8000"));
/// assert!(health_probe::parse_target("https://example.com/").is_err());
/// ```
pub fn parse_target(text: &str) -> Result<Url, ProbeError> {
    let invalid = |reason: &str| ProbeError::InvalidUrl(format!("{reason} in `{text}`"));
    let url = Url::parse(text).map_err(|error| ProbeError::InvalidUrl(error.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" => return Err(invalid("https is not supported (no TLS); use http")),
        "" => return Err(invalid("expected http://host[:port][/path]")),
        _ => return Err(invalid("the scheme must be http")),
    }
    if url.hostname().is_empty() {
        return Err(invalid("expected a host"));
    }
    if url.has_userinfo() {
        return Err(invalid("user information is not supported"));
    }
    if url.port().parse::<u16>().is_err() && !url.port().is_empty() {
        return Err(invalid("invalid port"));
    }
    Ok(url)
}

/// Whether the kubelet counts `status` as a success: 200 ≤ status < 400.
///
/// ```
/// assert!(health_probe::is_success(200));
/// assert!(health_probe::is_success(302));
/// assert!(!health_probe::is_success(503));
/// ```
pub fn is_success(status: u16) -> bool {
    (200..400).contains(&status)
}

/// A `--header` argument, `Name: value` as curl takes it (`Accept:` gives an empty value,
/// which removes the default `Accept`).
///
/// ```
/// assert_eq!(health_probe::parse_header("X-Probe: docker"), Some(("X-Probe", "docker")));
/// assert_eq!(health_probe::parse_header("Accept:"), Some(("Accept", "")));
/// assert_eq!(health_probe::parse_header("no colon"), None);
/// ```
pub fn parse_header(text: &str) -> Option<(&str, &str)> {
    let (name, value) = text.split_once(':')?;
    let name = name.trim();
    (!name.is_empty()).then_some((name, value.trim()))
}

/// Parses a timeout such as `2s`, `500ms`, `1.5s` or `3` (seconds).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(health_probe::parse_timeout("500ms"), Some(Duration::from_millis(500)));
/// assert_eq!(health_probe::parse_timeout("1.5s"), Some(Duration::from_millis(1500)));
/// assert_eq!(health_probe::parse_timeout("0s"), None);
/// ```
pub fn parse_timeout(text: &str) -> Option<Duration> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let seconds = number.parse::<f64>().ok()? * scale;
    (seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0)
        .then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_command_line_targets() {
        let url = parse_target("http://localhost/health").unwrap();
        assert_eq!(
            (url.hostname(), url.port(), url.request_uri().as_str()),
            ("localhost", "", "/health")
        );
        let url = parse_target("http://10.0.0.1:8000?x=1").unwrap();
        assert_eq!(url.request_uri(), "/?x=1");
        for bad in [
            "https://x/",
            "ftp://x",
            "x:80/health",
            "http://:80/",
            "http://h:99999/",
            "http://u:p@h/",
            "127.0.0.1:8000/health",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn judges_statuses_like_the_kubelet() {
        assert!(is_success(200) && is_success(204) && is_success(302) && is_success(399));
        assert!(!is_success(199) && !is_success(400) && !is_success(404) && !is_success(503));
    }
}
