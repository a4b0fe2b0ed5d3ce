//! One HTTP probe as the kubelet runs it: `pkg/probe/http/http.go` (`DoHTTPProbe`,
//! `RedirectChecker`), `request.go` (`newProbeRequest`) and the retries of
//! `pkg/kubelet/prober/prober.go` (`runProbeWithRetries`).

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// `maxRespBodyLength`: the kubelet reads at most 10 KiB of a body; a longer one is
/// truncated, not an error.
const MAX_BODY: usize = 10 * 1024;

/// `RedirectChecker`: the 10th redirect response is an error instead of a request.
const MAX_REDIRECTS: usize = 10;

/// `maxProbeRetries`: a probe that errors (rather than fails) is run again, up to 3 times.
const MAX_TRIES: usize = 3;

/// What the kubelet's `User-Agent` says: `kube-probe/<major>.<minor>`.
pub(crate) const USER_AGENT: &str = "kube-probe/1.34";

/// The result of one probe, as the prober worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The final response's status, after same-host redirects (a success when
    /// 200 ≤ status < 400: a redirect to another host counts as its 3xx).
    Status(u16),
    /// The `status` of a gRPC `Check` answer: a success when `SERVING`.
    Grpc(ServingStatus),
    /// No response head (or gRPC answer) within `timeoutSeconds`: a failure.
    TimedOut,
    /// No connection, a broken one, or too many redirects: a failure.
    Error(String),
    /// The prober itself erred three times (the body could not be read, the port name
    /// does not resolve): `doProbe` throws the result away, counting neither way.
    Discarded(String),
}

impl Outcome {
    /// Whether the kubelet counts it as a success.
    pub fn is_success(&self) -> bool {
        match self {
            Outcome::Status(status) => (200..400).contains(status),
            Outcome::Grpc(status) => *status == ServingStatus::Serving,
            _ => false,
        }
    }

    /// Whether it counts at all (everything but [`Outcome::Discarded`]).
    pub fn counts(&self) -> bool {
        !matches!(self, Outcome::Discarded(_))
    }
}

/// `grpc.health.v1.HealthCheckResponse.ServingStatus`, as a gRPC probe reads it.
///
/// ```
/// use health_runtime_testing::kubelet::{Outcome, ServingStatus};
///
/// assert!(Outcome::Grpc(ServingStatus::Serving).is_success());
/// assert!(!Outcome::Grpc(ServingStatus::NotServing).is_success());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingStatus {
    /// `UNKNOWN` (0), or a value this version of the protocol does not define.
    Unknown,
    /// `SERVING` (1): the only success.
    Serving,
    /// `NOT_SERVING` (2).
    NotServing,
    /// `SERVICE_UNKNOWN` (3), which only `Watch` sends.
    ServiceUnknown,
}

impl ServingStatus {
    /// The status of its wire value.
    pub fn from_wire(value: i32) -> ServingStatus {
        match value {
            1 => ServingStatus::Serving,
            2 => ServingStatus::NotServing,
            3 => ServingStatus::ServiceUnknown,
            _ => ServingStatus::Unknown,
        }
    }
}

/// Why one try produced no result to count: `DoHTTPProbe`'s `(Failure, "", err)` return
/// for a body that cannot be read, which `runProbeWithRetries` retries.
struct ProberError(String);

/// `GET path` on `addr` as the kubelet does: a fresh connection per request (keep-alives
/// off), same-host redirects followed up to the 10th, the whole exchange and the body read
/// bounded by `timeout`, and a prober error retried up to 3 times before it is discarded.
pub async fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Outcome {
    let mut last_error = String::new();
    for _ in 0..MAX_TRIES {
        match do_http_probe(addr, path, timeout).await {
            Ok(outcome) => return outcome,
            Err(ProberError(error)) => last_error = error,
        }
    }
    Outcome::Discarded(last_error)
}

/// `DoHTTPProbe`: `client.Do` errors (including its timeout) are failures; a body read
/// error is a prober error.
async fn do_http_probe(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<Outcome, ProberError> {
    let deadline = Instant::now() + timeout;
    let mut target = Target {
        host: addr.ip().to_string(),
        addr,
        path: path.to_owned(),
    };
    let first_host = target.host.clone();
    let mut redirects = 0;
    loop {
        let response = match tokio::time::timeout_at(deadline, send(&target)).await {
            Err(_) => return Ok(Outcome::TimedOut),
            Ok(Err(error)) => return Ok(Outcome::Error(error)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        let location = redirect_location(status, &response);
        // The body is read (and judged) only for the response that ends the chain.
        if let Some(next) = location.and_then(|l| target.follow(&l)) {
            // `RedirectChecker`: another host ends the chain with its 3xx (a warning,
            // which counts as a success); the 10th redirect is an error.
            if next.host != first_host {
                return read_body(response, deadline)
                    .await
                    .map(|()| Outcome::Status(status.as_u16()));
            }
            redirects += 1;
            if redirects >= MAX_REDIRECTS {
                return Ok(Outcome::Error("stopped after 10 redirects".to_owned()));
            }
            target = next;
            continue;
        }
        return read_body(response, deadline)
            .await
            .map(|()| Outcome::Status(status.as_u16()));
    }
}

/// Where a request goes: the address to connect to, the host name the redirect checker
/// compares, and the path.
#[derive(Debug, Clone)]
struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

impl Target {
    /// The target of a `Location`, relative or absolute; `None` for one the probe cannot
    /// follow (another scheme, or a host that is not an address here).
    fn follow(&self, location: &str) -> Option<Target> {
        if !location.contains("://") && !location.starts_with("//") {
            // A reference relative to the request's path, resolved as `URL.ResolveReference`.
            let joined = if location.starts_with('/') {
                location.to_owned()
            } else {
                let base = self.path.split(['?', '#']).next().unwrap_or("/");
                let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
                format!("{dir}/{location}")
            };
            return Some(Target {
                path: remove_dot_segments(&joined),
                ..self.clone()
            });
        }
        let uri: Uri = location.parse().ok()?;
        if uri.scheme_str().is_some_and(|s| s != "http") {
            return None;
        }
        let host = uri.host()?;
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let port = uri.port_u16().unwrap_or(80);
        let addr = match host.trim_matches(['[', ']']).parse() {
            Ok(ip) => SocketAddr::new(ip, port),
            // A name: only its host name matters to the redirect checker; it is never
            // connected to when it differs from the probe's own host.
            Err(_) => SocketAddr::new(self.addr.ip(), port),
        };
        Some(Target {
            addr,
            host: host.to_owned(),
            path,
        })
    }
}

/// RFC 3986's `remove_dot_segments` on the path part of `reference`.
fn remove_dot_segments(reference: &str) -> String {
    let (path, query) = match reference.find(['?', '#']) {
        Some(at) => reference.split_at(at),
        None => (reference, ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing = path.ends_with("/.") || path.ends_with("/..");
    let mut out = format!("/{}", segments.join("/"));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out + query
}

fn redirect_location<B>(status: StatusCode, response: &hyper::Response<B>) -> Option<String> {
    let follows = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
    follows
        .then(|| {
            response
                .headers()
                .get("location")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .flatten()
}

/// One request on a fresh connection, with the kubelet's headers.
async fn send(target: &Target) -> Result<hyper::Response<hyper::body::Incoming>, String> {
    let stream = TcpStream::connect(target.addr)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let request = Request::get(target.path.as_str())
        .header("host", target.addr.to_string())
        .header("user-agent", USER_AGENT)
        .header("accept", "*/*")
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())
}

/// `utilio.ReadAtMost(res.Body, maxRespBodyLength)`: reaching the limit is fine, any other
/// error (a reset, a short body, the timeout running out) is a prober error.
async fn read_body(
    response: hyper::Response<hyper::body::Incoming>,
    deadline: Instant,
) -> Result<(), ProberError> {
    let body = Limited::new(response.into_body(), MAX_BODY);
    match tokio::time::timeout_at(deadline, body.collect()).await {
        Err(_) => Err(ProberError(
            "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
                .to_owned(),
        )),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Ok(()),
        Ok(Err(error)) => Err(ProberError(error.to_string())),
    }
}
