//! The `health-probe` binary against real servers: a health-runtime service, servers of
//! hand-written answers (for what no well-behaved server sends), one that never answers,
//! and a closed port. Each rule is named after the kubelet function it mirrors
//! (`pkg/probe/http/http.go`, `request.go`, and Go's `net/http` `Client.do`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use health_runtime::{Check, Health};

/// A health-runtime service on a free loopback port, served from a background runtime.
fn service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let health = Health::builder()
                .without_registered()
                .check(Check::new("database", || async {
                    Err::<(), _>("connection refused")
                }))
                .build()
                .unwrap();
            let app = Router::new()
                .route("/moved", get(|| async { Redirect::temporary("/health") }))
                .route(
                    "/moved-down",
                    get(|| async { Redirect::to("/health/ready") }),
                )
                .route("/loop", get(|| async { Redirect::temporary("/loop") }))
                .route(
                    "/away",
                    get(|| async { Redirect::temporary("http://localhost:9/health") }),
                )
                .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }))
                .merge(health.router());
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

/// What a [`Scripted`] server writes for one request: byte runs, each after its pause;
/// the connection closes after the last.
type Reply = Vec<(Duration, Vec<u8>)>;

/// A server on `bind` that answers each request with what `script` makes of its head
/// (request line and headers), and keeps every head it received.
struct Scripted {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(
        bind: &str,
        script: impl Fn(&str, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> Scripted {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let script = Arc::new(script);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (seen, script) = (Arc::clone(&seen), Arc::clone(&script));
                std::thread::spawn(move || {
                    let head = read_head(&mut stream);
                    seen.lock().unwrap().push(head.clone());
                    for (pause, bytes) in script(&head, addr) {
                        std::thread::sleep(pause);
                        if stream.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Scripted { addr, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn read_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The request target of a head (`GET /path HTTP/1.1`).
fn target(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or_default()
}

/// The value of header `name` in a head, if it is there.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn now(bytes: &str) -> Reply {
    vec![(Duration::ZERO, bytes.as_bytes().to_vec())]
}

fn redirect(location: &str) -> Reply {
    now(&format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn ok() -> Reply {
    now("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
}

fn unavailable() -> Reply {
    now("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown")
}

/// Runs the binary, killing it if it outlives `bound` (the test then fails).
fn health_probe(args: &[&str], bound: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_health-probe"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > bound {
            child.kill().unwrap();
            panic!("health-probe {args:?} still ran after {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (child.wait_with_output().unwrap(), started.elapsed())
}

const BOUND: Duration = Duration::from_secs(30);

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs the binary on `url` with `extra` arguments; asserts the exit code and that the
/// output contains `expected`.
#[track_caller]
fn expect(url: &str, extra: &[&str], code: i32, expected: &str) -> Output {
    let mut args = vec![url];
    args.extend_from_slice(extra);
    let (output, _) = health_probe(&args, BOUND);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{url}: {}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains(expected),
        "{url}: {}",
        stdout(&output)
    );
    output
}

#[test]
fn exits_zero_for_2xx_and_3xx() {
    let addr = service();
    for path in ["/health", "/health/started", "/moved"] {
        let url = format!("http://{addr}{path}");
        let (output, _) = health_probe(&[&url, "--timeout", "5s"], BOUND);
        assert_eq!(output.status.code(), Some(0), "{path}: {}", stdout(&output));
    }
    // Same-host redirects are followed and the final status judged, as the kubelet does.
    expect(&format!("http://{addr}/moved"), &[], 0, ": 200 (healthy)");
    // A redirect to another host is not followed: its 3xx is the answer.
    expect(
        &format!("http://{addr}/away"),
        &[],
        0,
        ": 307 (healthy, redirect not followed)",
    );
}

#[test]
fn a_redirect_to_a_failing_page_or_a_redirect_loop_fails() {
    let addr = service();
    expect(
        &format!("http://{addr}/moved-down"),
        &[],
        1,
        ": 503 (unhealthy)",
    );
    expect(
        &format!("http://{addr}/loop"),
        &[],
        1,
        "stopped after 10 redirects",
    );
}

#[test]
fn exits_one_for_4xx_and_5xx() {
    let addr = service();
    for (path, status) in [("/health/ready", 503), ("/nope", 404), ("/teapot", 418)] {
        let url = format!("http://{addr}{path}");
        expect(&url, &["-t", "5s"], 1, &format!(": {status} (unhealthy)"));
    }
}

#[test]
fn exits_one_when_nothing_answers_in_time() {
    // Accepts connections (the kernel does, from the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health/ready", silent.local_addr().unwrap());
    let (output, elapsed) = health_probe(&[&url, "--timeout", "300ms"], BOUND);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("no response within"),
        "{}",
        stdout(&output)
    );
    assert!(
        elapsed >= Duration::from_millis(300),
        "gave up after {elapsed:?}"
    );
    drop(silent);
}

#[test]
fn exits_one_when_the_port_is_closed() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/health");
    let (output, _) = health_probe(&[&url], BOUND);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn exits_one_on_a_usage_error() {
    for args in [
        &[][..],
        &["https://127.0.0.1/health"],
        &["http://127.0.0.1/", "--timeout", "soon"],
        &["http://127.0.0.1/", "--header", "no colon"],
        &["http://127.0.0.1/", "--header"],
    ] {
        let (output, _) = health_probe(args, BOUND);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

/// `RedirectChecker` compares host names only, so a same-host `https://` redirect is
/// followed; on a plain-HTTP server the kubelet's TLS handshake then fails.
#[test]
fn redirect_checker_follows_a_same_host_redirect_to_https_and_it_fails() {
    let server = Scripted::start("127.0.0.1:0", |head, addr| match target(head) {
        "/secure" => redirect(&format!("https://127.0.0.1:{}/health", addr.port())),
        _ => ok(),
    });
    expect(
        &format!("http://{}/secure", server.addr),
        &[],
        1,
        "cannot follow a redirect to https",
    );
    // The https hop connected (where the kubelet would begin its TLS handshake) but sent
    // no plain-HTTP request.
    let requests = server.requests();
    let gets = requests.iter().filter(|r| r.starts_with("GET ")).count();
    assert_eq!(gets, 1, "{requests:?}");
}

/// `RedirectChecker` compares `URL.Hostname()`: an IPv6 address without its brackets, so
/// `http://[::1]:PORT/...` stays on the host `[::1]` was probed as.
#[test]
fn redirect_checker_compares_ipv6_host_names_without_brackets() {
    let server = Scripted::start("[::1]:0", |head, addr| match target(head) {
        "/start" => redirect(&format!("http://[::1]:{}/down", addr.port())),
        _ => unavailable(),
    });
    expect(
        &format!("http://{}/start", server.addr),
        &[],
        1,
        ": 503 (unhealthy)",
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(
        header(&requests[1], "host"),
        Some(format!("[::1]:{}", server.addr.port()).as_str())
    );
}

/// `Client.do` resolves a `Location` with `URL.Parse` (RFC 3986 §5.2): `../../ok` from
/// `/probes/a/live` is `/ok`, dot segments removed before the request is sent.
#[test]
fn client_resolves_a_relative_location_with_dot_segments() {
    let server = Scripted::start("127.0.0.1:0", |head, _| match target(head) {
        "/probes/a/live" => redirect("../../ok"),
        "/ok" => ok(),
        _ => unavailable(),
    });
    expect(
        &format!("http://{}/probes/a/live", server.addr),
        &[],
        0,
        ": 200 (healthy)",
    );
    let targets: Vec<String> = server
        .requests()
        .iter()
        .map(|h| target(h).to_owned())
        .collect();
    assert_eq!(targets, ["/probes/a/live", "/ok"]);
}

/// `RedirectChecker` compares host names with `!=`: `LOCALHOST` is another host than
/// `localhost`, so the kubelet stops there and counts the 3xx as a success (a warning).
#[test]
fn redirect_checker_compares_host_names_case_sensitively() {
    let server = Scripted::start("127.0.0.1:0", |head, addr| match target(head) {
        "/start" => redirect(&format!("http://LOCALHOST:{}/down", addr.port())),
        _ => unavailable(),
    });
    let url = format!("http://localhost:{}/start", server.addr.port());
    expect(&url, &[], 0, ": 302 (healthy, redirect not followed)");
    assert_eq!(server.requests().len(), 1);
}

/// `DoHTTPProbe` reads the body under the client's timeout: one still arriving when it
/// runs out fails the probe (the kubelet throws the result away and retries; a Docker
/// health check fails).
#[test]
fn do_http_probe_fails_a_body_slower_than_the_timeout() {
    let server = Scripted::start("127.0.0.1:0", |_, _| {
        vec![
            (
                Duration::ZERO,
                b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nha".to_vec(),
            ),
            (Duration::from_millis(1_500), b"lf".to_vec()),
        ]
    });
    let (output, elapsed) =
        health_probe(&[&format!("http://{}/", server.addr), "-t", "500ms"], BOUND);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("the body could not be read"),
        "{}",
        stdout(&output)
    );
    assert!(
        elapsed < Duration::from_millis(1_400),
        "waited for the body: {elapsed:?}"
    );
}

/// `ReadAtMost` fails on a body cut short of its `Content-Length` or of its last chunk,
/// and stops without error once it has 10 KiB, whatever follows.
#[test]
fn read_at_most_fails_a_short_body_and_stops_at_10_kib() {
    let big = "x".repeat(12 * 1024);
    let server = Scripted::start("127.0.0.1:0", move |head, _| match target(head) {
        "/short" => now("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"),
        "/chunks" => now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n"),
        "/whole-chunks" => {
            now("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n0\r\n\r\n")
        }
        // 12 KiB of a promised 20 KiB: the kubelet stopped reading at 10 KiB.
        "/long" => now(&format!(
            "HTTP/1.1 200 OK\r\nContent-Length: 20480\r\n\r\n{big}"
        )),
        _ => unavailable(),
    });
    let url = |path: &str| format!("http://{}{path}", server.addr);
    expect(&url("/short"), &[], 1, "the body could not be read");
    expect(&url("/chunks"), &[], 1, "the body could not be read");
    expect(&url("/whole-chunks"), &[], 0, ": 200 (healthy)");
    expect(&url("/long"), &[], 0, ": 200 (healthy)");
}

/// `newProbeRequest`: `Accept: */*` unless given, an empty `Accept` removes it, `Host`
/// names the host, other headers go as given; keep-alives are off.
#[test]
fn new_probe_request_sends_the_headers_given_and_the_defaults() {
    let server = Scripted::start("127.0.0.1:0", |_, _| ok());
    let url = format!("http://{}/health", server.addr);
    expect(&url, &[], 0, ": 200 (healthy)");
    expect(
        &url,
        &[
            "--header",
            "Host: api.example.com",
            "-H",
            "Accept:",
            "-H",
            "x-probe: docker",
        ],
        0,
        ": 200 (healthy)",
    );
    let requests = server.requests();
    let (plain, custom) = (&requests[0], &requests[1]);
    assert_eq!(header(plain, "accept"), Some("*/*"), "{plain}");
    assert_eq!(
        header(plain, "host"),
        Some(server.addr.to_string().as_str()),
        "{plain}"
    );
    assert_eq!(header(plain, "connection"), Some("close"), "{plain}");
    assert!(
        header(plain, "user-agent").is_some_and(|ua| ua.starts_with("health-probe/")),
        "{plain}"
    );
    assert_eq!(header(custom, "host"), Some("api.example.com"), "{custom}");
    assert_eq!(header(custom, "accept"), None, "{custom}");
    assert_eq!(header(custom, "x-probe"), Some("docker"), "{custom}");
}

/// `Client.do` on each redirect: the original headers again, a `Referer` naming the URL
/// that redirected, and a custom `Host` kept through a relative `Location` only.
#[test]
fn client_do_sends_the_headers_and_a_referer_on_every_redirect() {
    let server = Scripted::start("127.0.0.1:0", |head, addr| match target(head) {
        "/a/first" => redirect("second"),
        "/a/second" => redirect(&format!("http://127.0.0.1:{}/last", addr.port())),
        "/last" => ok(),
        _ => unavailable(),
    });
    let url = format!("http://{}/a/first", server.addr);
    expect(
        &url,
        &["-H", "Host: api.example.com", "-H", "X-Probe: docker"],
        0,
        ": 200 (healthy)",
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    let hosts: Vec<_> = requests.iter().map(|r| header(r, "host")).collect();
    let own = server.addr.to_string();
    assert_eq!(
        hosts,
        [
            Some("api.example.com"),
            Some("api.example.com"),
            Some(own.as_str())
        ]
    );
    let referers: Vec<_> = requests.iter().map(|r| header(r, "referer")).collect();
    let second = format!("http://{own}/a/second");
    assert_eq!(referers, [None, Some(url.as_str()), Some(second.as_str())]);
    assert!(
        requests
            .iter()
            .all(|r| header(r, "x-probe") == Some("docker")),
        "{requests:?}"
    );
}
