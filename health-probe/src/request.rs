//! A probe's `GET` as the kubelet builds it (`pkg/probe/http/request.go`,
//! `newProbeRequest`) and sends it (Go's `net/http` `Client.do`, with the kubelet's
//! `RedirectChecker` and `Client.Timeout`).

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::answer::{Answer, ProbeError};
use crate::url::Url;
use crate::wire::{Conn, Framing, Head, HeadError, is_token_byte, remaining};

/// `maxRespBodyLength`: the kubelet reads at most 10 KiB of a body.
pub const MAX_BODY: usize = 10 * 1024;

/// The Go client slurps at most this much of a redirect's body (`maxBodySlurpSize`).
const MAX_SLURP: usize = 2 << 10;

/// `RedirectChecker`: the 10th redirect of a chain is an error, not a request.
const MAX_REDIRECTS: usize = 10;

/// Headers as Go's `http.Header` holds them: canonical names (`content-type` →
/// `Content-Type`), each with its values in order, iterated sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Headers(BTreeMap<String, Vec<String>>);

impl Headers {
    fn add(&mut self, name: &str, value: &str) {
        self.0
            .entry(canonical_name(name))
            .or_default()
            .push(value.to_owned());
    }

    fn set(&mut self, name: &str, value: &str) {
        self.0.insert(canonical_name(name), vec![value.to_owned()]);
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(&canonical_name(name))
    }

    /// `Header.Get`: the first value, empty when there is none.
    fn get(&self, name: &str) -> &str {
        self.0
            .get(&canonical_name(name))
            .and_then(|values| values.first())
            .map_or("", String::as_str)
    }

    fn remove(&mut self, name: &str) {
        self.0.remove(&canonical_name(name));
    }
}

/// `textproto.CanonicalMIMEHeaderKey`: a valid name with its first letter and every
/// letter after a `-` upper-cased and the rest lower-cased; an invalid one unchanged.
fn canonical_name(name: &str) -> String {
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return name.to_owned();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let c = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            c
        })
        .collect()
}

/// An HTTP probe: a `GET` of a URL with the probe's headers, sent as the kubelet sends it.
///
/// ```no_run
/// use std::time::Duration;
/// use health_probe::{HttpGet, Url};
///
/// let probe = HttpGet::new(Url::parse("http://127.0.0.1:8000/health/ready").unwrap())
///     .header("Accept", "application/health+json")
///     .header("X-Probe", "docker");
/// match probe.send(Duration::from_secs(2)) {
///     Ok(answer) if answer.is_success() => println!("healthy: {}", answer.status),
///     Ok(answer) => println!("unhealthy: {}", answer.status),
///     Err(error) => println!("unhealthy: {error}"),
/// }
/// ```
#[derive(Debug, Clone)]
pub struct HttpGet {
    url: Url,
    headers: Headers,
    user_agent: String,
}

impl HttpGet {
    /// A probe of `url` with no header of its own, sending `User-Agent:
    /// health-probe/<version>`.
    ///
    /// ```
    /// use health_probe::{HttpGet, Url};
    ///
    /// let probe = HttpGet::new(Url::parse("http://127.0.0.1:8000/health").unwrap());
    /// assert_eq!(probe.url().port(), "8000");
    /// ```
    pub fn new(url: Url) -> HttpGet {
        HttpGet {
            url,
            headers: Headers::default(),
            user_agent: concat!("health-probe/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// Adds a header, as a probe's `httpHeaders` entry does (`Header.Add`: names are
    /// case-insensitive, a repeated name sends every value). `Host` names the host the
    /// request is for; an empty `Accept` removes the default `Accept: */*`; an empty
    /// `User-Agent` sends none.
    ///
    /// ```
    /// use health_probe::{HttpGet, Url};
    ///
    /// let probe = HttpGet::new(Url::parse("http://10.0.0.7:8080/").unwrap())
    ///     .header("Host", "api.example.com")
    ///     .header("accept", "");
    /// # let _ = probe;
    /// ```
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> HttpGet {
        self.headers.add(name, value);
        self
    }

    /// The `User-Agent` sent when no header sets one (the kubelet's is
    /// `kube-probe/<major>.<minor>`).
    ///
    /// ```
    /// use health_probe::{HttpGet, Url};
    ///
    /// let kubelet = HttpGet::new(Url::parse("http://10.0.0.7:8080/").unwrap())
    ///     .user_agent("kube-probe/1.34");
    /// # let _ = kubelet;
    /// ```
    #[must_use]
    pub fn user_agent(mut self, user_agent: &str) -> HttpGet {
        user_agent.clone_into(&mut self.user_agent);
        self
    }

    /// The URL probed first.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `newProbeRequest`'s headers: the default `User-Agent` and `Accept: */*` where the
    /// probe sets none, and an `Accept` set to the empty string removed.
    fn request_headers(&self) -> Headers {
        let mut headers = self.headers.clone();
        if !headers.has("User-Agent") {
            headers.set("User-Agent", &self.user_agent);
        }
        if !headers.has("Accept") {
            headers.set("Accept", "*/*");
        } else if headers.get("Accept").is_empty() {
            headers.remove("Accept");
        }
        headers
    }

    /// Sends the probe and reads its answer within `timeout`, as `DoHTTPProbe` with the
    /// kubelet's client does: same-host redirects followed (a `Location` resolved against
    /// the URL that answered it; host names compared as written, without port or
    /// brackets), the 10th redirect an error, a redirect to another host answered by its
    /// own 3xx, every request on a fresh connection with the probe's headers and a
    /// `Referer`, and `timeout` over all of it, body included.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use health_probe::{HttpGet, ProbeError, Url};
    ///
    /// let probe = HttpGet::new(Url::parse("http://127.0.0.1:8000/health").unwrap());
    /// match probe.send(Duration::from_secs(1)) {
    ///     Ok(answer) => println!("{} after {} redirects", answer.status, answer.redirects),
    ///     Err(ProbeError::TimedOut(after)) => println!("no answer within {after:?}"),
    ///     Err(error) => println!("{error}"),
    /// }
    /// ```
    pub fn send(&self, timeout: Duration) -> Result<Answer, ProbeError> {
        let deadline = Instant::now() + timeout;
        let original = self.request_headers();
        let first_hostname = self.url.hostname().to_owned();
        let mut request = Request {
            url: self.url.clone(),
            host: Some(original.get("Host").to_owned()).filter(|h| !h.is_empty()),
            headers: original.clone(),
        };
        let mut redirects = 0;
        loop {
            let (head, mut conn) = request.round_trip(deadline, timeout)?;
            let framing = Framing::of(&head).map_err(ProbeError::BadResponse)?;
            let location = match head.status {
                301 | 302 | 303 | 307 | 308 => head.get("location").filter(|l| !l.is_empty()),
                _ => None,
            };
            let Some(location) = location else {
                return read_answer(head.status, request.url, redirects, &mut conn, framing);
            };
            let next = request.redirected(location, &original)?;
            // `RedirectChecker`: another host name ends the chain with this 3xx (a
            // warning, counted as a success); the 10th redirect is an error.
            if next.url.hostname() != first_hostname {
                return read_answer(head.status, request.url, redirects, &mut conn, framing);
            }
            if framing.slurped() {
                let _ = conn.read_body(framing, MAX_SLURP);
            }
            redirects += 1;
            if redirects >= MAX_REDIRECTS {
                return Err(ProbeError::TooManyRedirects);
            }
            request = next;
        }
    }
}

/// The body of the answer that ends the chain, read as `ReadAtMost(body, 10 KiB)`.
fn read_answer(
    status: u16,
    url: Url,
    redirects: usize,
    conn: &mut Conn,
    framing: Framing,
) -> Result<Answer, ProbeError> {
    match conn.read_body(framing, MAX_BODY) {
        Ok(body) => Ok(Answer {
            status,
            url,
            redirects,
            body,
        }),
        Err(error) if error.kind() == io::ErrorKind::TimedOut => Err(ProbeError::Body(
            "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
                .to_owned(),
        )),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
            Err(ProbeError::Body("unexpected EOF".to_owned()))
        }
        Err(error) => Err(ProbeError::Body(error.to_string())),
    }
}

/// One request of a chain: where it goes, the `Host` it names, its headers.
struct Request {
    url: Url,
    /// `Request.Host`: the `Host` header's value when it differs from the URL's host.
    host: Option<String>,
    headers: Headers,
}

impl Request {
    /// The next request of the chain, as `Client.do` builds it for `location`: the
    /// original request's headers (the only hops followed stay on one host name, so none
    /// is withheld), a `Referer` naming this request's URL (not from https to http; an
    /// explicit one is kept), and a custom `Host` kept through a relative `Location`.
    fn redirected(&self, location: &str, original: &Headers) -> Result<Request, ProbeError> {
        let url = self.url.join(location).map_err(|error| {
            ProbeError::Redirect(format!(
                "failed to parse Location header {location:?}: {error}"
            ))
        })?;
        let host = self
            .host
            .clone()
            .filter(|host| *host != self.url.host())
            .filter(|_| Url::parse(location).is_ok_and(|l| l.scheme().is_empty()));
        let mut headers = original.clone();
        if !(self.url.scheme() == "https" && url.scheme() == "http") {
            let referer = match original.get("Referer") {
                "" => self.url.without_userinfo().to_string(),
                explicit => explicit.to_owned(),
            };
            headers.set("Referer", &referer);
        }
        Ok(Request { url, host, headers })
    }

    /// One request on a fresh connection, up to its response head.
    fn round_trip(&self, deadline: Instant, timeout: Duration) -> Result<(Head, Conn), ProbeError> {
        let timed_out = |error: io::Error| {
            if error.kind() == io::ErrorKind::TimedOut {
                ProbeError::TimedOut(timeout)
            } else {
                ProbeError::Io(error)
            }
        };
        let bytes = self.encode()?;
        let default_port = match self.url.scheme() {
            "http" => 80,
            "https" => 443,
            other => return Err(ProbeError::UnsupportedScheme(other.to_owned())),
        };
        if self.url.host().is_empty() {
            return Err(ProbeError::InvalidRequest(
                "http: no Host in request URL".to_owned(),
            ));
        }
        let port = match self.url.port() {
            "" => default_port,
            port => port.parse().map_err(|_| {
                ProbeError::InvalidRequest(format!("dial tcp: address {port}: invalid port"))
            })?,
        };
        let addresses = resolve(self.url.hostname(), port, deadline, timeout)?;
        let mut conn = Conn::connect(&addresses, deadline).map_err(timed_out)?;
        if self.url.scheme() == "https" {
            return Err(ProbeError::UnsupportedScheme("https".to_owned()));
        }
        conn.write_all(&bytes).map_err(timed_out)?;
        match conn.read_head() {
            Ok(head) => Ok((head, conn)),
            Err(HeadError::Io(error)) => Err(timed_out(error)),
            Err(HeadError::Malformed(reason)) => Err(ProbeError::BadResponse(reason)),
        }
    }

    /// The request as Go's transport writes it: request line, `Host`, `User-Agent`, the
    /// other headers sorted by name (values trimmed; `Host`, `Content-Length`,
    /// `Transfer-Encoding` and `Trailer` left to the transport), and `Connection: close`
    /// (keep-alives are off). A name or value no HTTP message may carry is an error.
    fn encode(&self) -> Result<Vec<u8>, ProbeError> {
        for (name, values) in &self.headers.0 {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(ProbeError::InvalidRequest(format!(
                    "net/http: invalid header field name {name:?}"
                )));
            }
            if values
                .iter()
                .any(|v| v.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f))
            {
                return Err(ProbeError::InvalidRequest(format!(
                    "net/http: invalid header field value for {name:?}"
                )));
            }
        }
        let host = self.host.as_deref().unwrap_or(self.url.host());
        if !host.bytes().all(is_host_byte) {
            return Err(ProbeError::InvalidRequest(format!(
                "http: invalid Host header {host:?}"
            )));
        }
        let trim = |value: &str| value.trim_matches([' ', '\t']).to_owned();
        let mut text = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\n",
            self.url.request_uri()
        );
        let user_agent = trim(self.headers.get("User-Agent"));
        if !user_agent.is_empty() {
            text.push_str(&format!("User-Agent: {user_agent}\r\n"));
        }
        for (name, values) in &self.headers.0 {
            if matches!(
                name.as_str(),
                "Host" | "User-Agent" | "Content-Length" | "Transfer-Encoding" | "Trailer"
            ) {
                continue;
            }
            for value in values {
                text.push_str(&format!("{name}: {}\r\n", trim(value)));
            }
        }
        let closes = self
            .headers
            .get("Connection")
            .split(',')
            .any(|token| token.trim().eq_ignore_ascii_case("close"));
        if !closes {
            text.push_str("Connection: close\r\n");
        }
        text.push_str("\r\n");
        Ok(text.into_bytes())
    }
}

/// `httpguts.ValidHostHeader`'s bytes.
fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!$%&'()*+,-.:;=[]_~".contains(&b)
}

/// The addresses of `host`: an IP address as it is, a name through the system's resolver,
/// within the deadline (a lookup has no timeout of its own, so a thread bounds it).
fn resolve(
    host: &str,
    port: u16,
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ProbeError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = remaining(deadline).map_err(|_| ProbeError::TimedOut(timeout))?;
    let (sender, receiver) = mpsc::channel();
    let name = host.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect),
        );
    });
    match receiver.recv_timeout(left) {
        Ok(Ok(addresses)) => Ok(addresses),
        Ok(Err(error)) => Err(ProbeError::Resolve(error)),
        Err(_) => Err(ProbeError::TimedOut(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(probe: &HttpGet) -> String {
        let headers = probe.request_headers();
        let request = Request {
            url: probe.url.clone(),
            host: Some(headers.get("Host").to_owned()).filter(|h| !h.is_empty()),
            headers,
        };
        String::from_utf8(request.encode().unwrap()).unwrap()
    }

    fn probe(url: &str) -> HttpGet {
        HttpGet::new(Url::parse(url).unwrap()).user_agent("kube-probe/1.34")
    }

    #[test]
    fn writes_the_kubelets_request() {
        assert_eq!(
            encoded(&probe("http://10.0.0.7:8080/health?x=1")),
            "GET /health?x=1 HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nUser-Agent: kube-probe/1.34\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn applies_new_probe_requests_header_rules() {
        let request = encoded(
            &probe("http://10.0.0.7:8080/")
                .header("host", "api.example.com")
                .header("accept", "")
                .header("x-custom", " spaced ")
                .header("X-Custom", "second")
                .header("Content-Length", "9"),
        );
        assert_eq!(
            request,
            "GET / HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: kube-probe/1.34\r\n\
             X-Custom: spaced\r\nX-Custom: second\r\nConnection: close\r\n\r\n"
        );
        let request = encoded(&probe("http://10.0.0.7/").header("User-Agent", ""));
        assert!(!request.contains("User-Agent"), "{request}");
        let request = encoded(&probe("http://10.0.0.7/").header("Connection", "Close"));
        assert_eq!(request.matches("onnection").count(), 1, "{request}");
    }

    #[test]
    fn refuses_what_go_refuses_to_send() {
        for probe in [
            probe("http://h/").header("X-Bad", "a\r\nInjected: yes"),
            probe("http://h/").header("Bad Name", "x"),
            probe("http://h/").header("Host", "two words"),
        ] {
            let headers = probe.request_headers();
            let request = Request {
                url: probe.url.clone(),
                host: Some(headers.get("Host").to_owned()).filter(|h| !h.is_empty()),
                headers,
            };
            assert!(
                matches!(request.encode(), Err(ProbeError::InvalidRequest(_))),
                "{probe:?}"
            );
        }
    }

    #[test]
    fn canonicalises_names_as_textproto_does() {
        assert_eq!(canonical_name("x-request-ID"), "X-Request-Id");
        assert_eq!(canonical_name("accept"), "Accept");
        assert_eq!(canonical_name("bad name"), "bad name");
    }

    #[test]
    fn follows_redirects_with_the_go_clients_headers() {
        let first = probe("http://10.0.0.7:8080/a/b").header("Host", "api.example.com");
        let original = first.request_headers();
        let request = Request {
            url: first.url.clone(),
            host: Some("api.example.com".to_owned()),
            headers: original.clone(),
        };
        let relative = request.redirected("../c", &original).unwrap();
        assert_eq!(relative.url.to_string(), "http://10.0.0.7:8080/c");
        assert_eq!(relative.host.as_deref(), Some("api.example.com"));
        assert_eq!(relative.headers.get("Referer"), "http://10.0.0.7:8080/a/b");
        let absolute = relative
            .redirected("http://10.0.0.7:8080/d", &original)
            .unwrap();
        assert_eq!(absolute.host, None);
        assert_eq!(absolute.headers.get("Referer"), "http://10.0.0.7:8080/c");
        let explicit = probe("http://h/").header("Referer", "http://origin/");
        let original = explicit.request_headers();
        let request = Request {
            url: explicit.url.clone(),
            host: None,
            headers: original.clone(),
        };
        assert_eq!(
            request
                .redirected("/x", &original)
                .unwrap()
                .headers
                .get("Referer"),
            "http://origin/"
        );
        assert!(matches!(
            request.redirected("http://h:8x/", &original),
            Err(ProbeError::Redirect(_))
        ));
    }
}
