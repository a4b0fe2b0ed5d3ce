//! What a probe ends with: the answer it judges, or the error that left it without one.

use std::fmt;
use std::time::Duration;

use crate::url::Url;

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
    /// Its body, up to [`MAX_BODY`](crate::MAX_BODY) bytes.
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
