//! One HTTP probe as the kubelet runs it: `pkg/probe/http/request.go` (`newProbeRequest`,
//! `formatURL`), `http.go` (`DoHTTPProbe`, `RedirectChecker`) with the Go client they run,
//! and the retries of `pkg/kubelet/prober/prober.go` (`runProbeWithRetries`).
//!
//! The exchange itself is `health-probe`'s prober, which follows the kubelet's code rule by
//! rule (see its docs), so that the simulator and the `HEALTHCHECK` binary cannot drift
//! apart. It has no TLS client: a same-host redirect to `https://` fails, as the kubelet's
//! does against a plain-HTTP server.

use std::net::SocketAddr;
use std::time::Duration;

use health_probe::{ProbeError, Url};

use super::outcome::Outcome;

/// `maxProbeRetries`: a probe that errs (rather than fails) is run again, up to 3 times.
const MAX_TRIES: usize = 3;

/// What the kubelet's `User-Agent` says: `kube-probe/<major>.<minor>`.
pub(crate) const USER_AGENT: &str = "kube-probe/1.34";

/// An `httpGet` probe as the kubelet sends it: a `GET` with the kubelet's `User-Agent`,
/// `Accept: */*` unless a header sets `Accept` (empty: none), the probe's `httpHeaders`,
/// on a fresh connection per request.
///
/// ```no_run
/// # async fn doc() {
/// use std::time::Duration;
/// use health_runtime_testing::kubelet::{HttpGet, Outcome};
///
/// let readiness = HttpGet::new("127.0.0.1:8000".parse().unwrap(), "/health/ready")
///     .header("Host", "api.example.com")
///     .header("Accept", "application/health+json");
/// let outcome = readiness.probe(Duration::from_secs(1)).await;
/// assert_eq!(outcome, Outcome::Status(200));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HttpGet {
    /// The request, or why the kubelet could not build it (a prober error).
    request: Result<health_probe::HttpGet, String>,
}

impl HttpGet {
    /// `GET path` on `addr`, as a probe without `host` or `scheme` calls the pod's IP.
    ///
    /// ```
    /// use health_runtime_testing::kubelet::HttpGet;
    ///
    /// let probe = HttpGet::new("127.0.0.1:8000".parse().unwrap(), "/health");
    /// # let _ = probe;
    /// ```
    pub fn new(addr: SocketAddr, path: &str) -> HttpGet {
        HttpGet::to("http", &addr.ip().to_string(), addr.port(), path)
    }

    /// `GET path` on `host:port`, as a probe whose `host` names the host (a name is
    /// resolved when the probe runs; redirects stay on `host` as written).
    ///
    /// ```
    /// use health_runtime_testing::kubelet::HttpGet;
    ///
    /// let probe = HttpGet::on_host("localhost", 8000, "/health");
    /// # let _ = probe;
    /// ```
    pub fn on_host(host: &str, port: u16, path: &str) -> HttpGet {
        HttpGet::to("http", host, port, path)
    }

    /// `scheme://host:port` + `path`, as `formatURL` joins them.
    pub(crate) fn to(scheme: &str, host: &str, port: u16, path: &str) -> HttpGet {
        let request = Url::for_probe(scheme, host, port, path)
            .map(|url| health_probe::HttpGet::new(url).user_agent(USER_AGENT))
            .map_err(|error| error.to_string());
        HttpGet { request }
    }

    /// Adds one of the probe's `httpHeaders` (`Header.Add`).
    ///
    /// ```
    /// use health_runtime_testing::kubelet::HttpGet;
    ///
    /// let probe = HttpGet::new("127.0.0.1:8000".parse().unwrap(), "/health")
    ///     .header("Accept", ""); // sends no Accept header at all
    /// # let _ = probe;
    /// ```
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> HttpGet {
        self.request = self.request.map(|request| request.header(name, value));
        self
    }

    /// Runs the probe as `runProbeWithRetries` does: a status when a response head came
    /// in time and its body could be read (up to 10 KiB); a failure without one; a body
    /// that could not be read (cut short, broken, or slower than `timeout`) tried again,
    /// up to 3 times, then thrown away.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::HttpGet;
    ///
    /// let outcome = HttpGet::new("127.0.0.1:8000".parse().unwrap(), "/health")
    ///     .probe(Duration::from_secs(1))
    ///     .await;
    /// println!("{outcome:?}: success {}", outcome.is_success());
    /// # }
    /// ```
    pub async fn probe(&self, timeout: Duration) -> Outcome {
        let request = match &self.request {
            Ok(request) => request,
            Err(error) => return Outcome::Discarded(error.clone()),
        };
        let mut last_error = String::new();
        for _ in 0..MAX_TRIES {
            let request = request.clone();
            // A blocking exchange, each read bounded by the timeout.
            let sent = tokio::task::spawn_blocking(move || request.send(timeout)).await;
            match sent {
                Ok(Ok(answer)) => return Outcome::Status(answer.status),
                Ok(Err(error)) if error.is_body_error() => last_error = error.to_string(),
                Ok(Err(ProbeError::TimedOut(_))) => return Outcome::TimedOut,
                Ok(Err(error)) => return Outcome::Error(error.to_string()),
                Err(error) => return Outcome::Error(error.to_string()),
            }
        }
        Outcome::Discarded(last_error)
    }
}

/// `GET path` on `addr` as the kubelet probes it ([`HttpGet::probe`] without headers):
/// same-host redirects followed up to the 10th, the whole exchange and the body read
/// bounded by `timeout`, a prober error retried up to 3 times before it is discarded.
///
/// ```no_run
/// # async fn doc() {
/// use std::time::Duration;
/// use health_runtime_testing::kubelet::{Outcome, http_get};
///
/// let outcome = http_get("127.0.0.1:8000".parse().unwrap(), "/health", Duration::from_secs(1)).await;
/// assert_eq!(outcome, Outcome::Status(200));
/// # }
/// ```
pub async fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Outcome {
    HttpGet::new(addr, path).probe(timeout).await
}
