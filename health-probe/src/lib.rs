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

use std::time::Duration;

mod answer;
mod request;
mod url;
mod wire;

pub use answer::{Answer, ProbeError, is_success};
pub use request::{HttpGet, MAX_BODY};
pub use url::{Url, UrlError};

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
