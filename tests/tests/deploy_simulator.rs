//! The kubelet simulator's HTTP probe against real servers, each behaviour named after
//! the kubelet function it mirrors (`pkg/probe/http/http.go` and `request.go`, Go's
//! `net/http` `Client.do` they run, `pkg/kubelet/prober`).
#![cfg(feature = "deploy")]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use tests::kubelet::{
    HttpGet, Outcome, ScriptedServer, found, http_get, raw_http_server, reply, request_header,
    request_target,
};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(1);

/// An axum server that records the peer address of every `/ok` request.
async fn server() -> (SocketAddr, Arc<Mutex<Vec<SocketAddr>>>) {
    let peers = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&peers);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        Router::new()
            .route(
                "/ok",
                get(
                    move |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                        seen.lock().unwrap().push(peer);
                        "ok"
                    },
                ),
            )
            .route("/to-ok", get(|| async { Redirect::to("/ok") }))
            .route("/to-down", get(|| async { Redirect::temporary("/down") }))
            .route("/relative/to-ok", get(|| async { redirect_to("../ok") }))
            .route(
                "/chain/{n}",
                get(|Path(n): Path<u32>| async move { chain(n) }),
            )
            .route(
                "/elsewhere",
                get(move || async move {
                    redirect_to(&format!("http://localhost:{}/down", addr.port()))
                }),
            )
            .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
            .route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .route("/large", get(|| async { "x".repeat(64 * 1024) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(1_500)).await;
                    "late"
                }),
            );
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });
    (addr, peers)
}

fn redirect_to(location: &str) -> axum::response::Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, location.parse().unwrap());
    (StatusCode::FOUND, headers).into_response()
}

/// `/chain/n` redirects to `/chain/n-1`, and `/chain/0` answers 200.
fn chain(n: u32) -> axum::response::Response {
    if n == 0 {
        "end".into_response()
    } else {
        redirect_to(&format!("/chain/{}", n - 1))
    }
}

#[tokio::test]
async fn do_http_probe_counts_200_to_399_as_success() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    for (path, status) in [("/missing", 404), ("/down", 503)] {
        let outcome = http_get(addr, path, TIMEOUT).await;
        assert_eq!(outcome, Outcome::Status(status));
        assert!(!outcome.is_success() && outcome.counts());
    }
}

#[tokio::test]
async fn redirect_checker_follows_same_host_redirects_and_judges_the_final_status() {
    let (addr, peers) = server().await;
    assert_eq!(
        http_get(addr, "/to-ok", TIMEOUT).await,
        Outcome::Status(200)
    );
    assert_eq!(
        http_get(addr, "/relative/to-ok", TIMEOUT).await,
        Outcome::Status(200)
    );
    // A 302 (or 307) to a 503 is a failure, not the success its 3xx would be.
    let down = http_get(addr, "/to-down", TIMEOUT).await;
    assert_eq!(down, Outcome::Status(503));
    assert!(!down.is_success());
    // Every hop is a request of its own, on a fresh connection.
    assert_eq!(peers.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn redirect_checker_stops_at_the_tenth_redirect() {
    let (addr, _) = server().await;
    assert_eq!(
        http_get(addr, "/chain/9", TIMEOUT).await,
        Outcome::Status(200)
    );
    let ten = http_get(addr, "/chain/10", TIMEOUT).await;
    assert_eq!(ten, Outcome::Error("stopped after 10 redirects".into()));
    assert!(!ten.is_success());
}

#[tokio::test]
async fn redirect_checker_does_not_follow_another_host_and_counts_its_3xx_as_success() {
    let (addr, _) = server().await;
    // `localhost` is another host name than the probe's 127.0.0.1, whatever it resolves to:
    // `http.ErrUseLastResponse`, a warning the prober turns into a success.
    let other = http_get(addr, "/elsewhere", TIMEOUT).await;
    assert_eq!(other, Outcome::Status(302));
    assert!(other.is_success());
}

#[tokio::test]
async fn client_timeout_before_the_head_is_a_failure_and_no_listener_is_one_too() {
    let (addr, _) = server().await;
    assert_eq!(http_get(addr, "/slow", TIMEOUT).await, Outcome::TimedOut);
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = http_get(closed, "/ok", TIMEOUT).await;
    assert!(matches!(refused, Outcome::Error(_)), "{refused:?}");
    assert!(!refused.is_success() && refused.counts());
}

#[tokio::test]
async fn read_at_most_truncates_a_large_body_without_failing() {
    let (addr, _) = server().await;
    assert_eq!(
        http_get(addr, "/large", TIMEOUT).await,
        Outcome::Status(200)
    );
}

#[tokio::test]
async fn run_probe_with_retries_discards_a_body_that_cannot_be_read() {
    // The head says 100 bytes; 4 arrive and the connection closes.
    let short = raw_http_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n",
        b"half",
        Duration::ZERO,
    )
    .await;
    let outcome = http_get(short, "/", TIMEOUT).await;
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    assert!(!outcome.counts());

    // The body arrives after the client timeout: the read errs (the timeout covers the
    // body too), and each of the three tries waits the whole timeout.
    let late = raw_http_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n",
        b"late",
        Duration::from_millis(1_500),
    )
    .await;
    let started = Instant::now();
    let outcome = http_get(late, "/", TIMEOUT).await;
    let took = started.elapsed();
    println!("a late body: {outcome:?} after {took:?}");
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    assert!(
        took >= TIMEOUT * 3 && took < TIMEOUT * 3 + Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn the_http_prober_opens_a_fresh_connection_per_probe() {
    let (addr, peers) = server().await;
    for _ in 0..5 {
        assert_eq!(http_get(addr, "/ok", TIMEOUT).await, Outcome::Status(200));
    }
    let peers = peers.lock().unwrap();
    assert_eq!(peers.len(), 5);
    assert_eq!(peers.iter().collect::<HashSet<_>>().len(), 5, "{peers:?}");
}

fn ok() -> tests::kubelet::Reply {
    reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
}

fn unavailable() -> tests::kubelet::Reply {
    reply("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown")
}

/// `RedirectChecker` compares host names only: a same-host redirect to `https://` is
/// followed, and on a plain-HTTP server the TLS handshake fails. A failure, not the 302.
#[tokio::test]
async fn redirect_checker_follows_a_same_host_https_redirect_which_fails_on_plain_http() {
    let server = ScriptedServer::start("127.0.0.1:0", |head, addr| match request_target(head) {
        "/secure" => found(&format!("https://127.0.0.1:{}/ok", addr.port())),
        _ => ok(),
    })
    .await;
    let outcome = http_get(server.addr(), "/secure", TIMEOUT).await;
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("https")),
        "{outcome:?}"
    );
    assert!(!outcome.is_success() && outcome.counts());
}

/// `RedirectChecker` compares `URL.Hostname()`, which drops an IPv6 address's brackets: an
/// absolute `http://[::1]:PORT/...` redirect from `[::1]` is followed.
#[tokio::test]
async fn redirect_checker_follows_an_absolute_ipv6_redirect_to_the_same_address() {
    let server = ScriptedServer::start("[::1]:0", |head, addr| match request_target(head) {
        "/start" => found(&format!("http://[::1]:{}/down", addr.port())),
        _ => unavailable(),
    })
    .await;
    assert_eq!(
        http_get(server.addr(), "/start", TIMEOUT).await,
        Outcome::Status(503)
    );
    let targets: Vec<String> = server
        .requests()
        .iter()
        .map(|h| request_target(h).to_owned())
        .collect();
    assert_eq!(targets, ["/start", "/down"]);
}

/// `Client.do` resolves a `Location` as `URL.Parse` does (RFC 3986 §5.2): dot segments are
/// removed before the next request goes out.
#[tokio::test]
async fn client_do_resolves_a_relative_location_and_its_dot_segments() {
    let server = ScriptedServer::start("127.0.0.1:0", |head, _| match request_target(head) {
        "/probes/a/live" => found("../../ok?from=live"),
        "/ok?from=live" => ok(),
        _ => unavailable(),
    })
    .await;
    assert_eq!(
        http_get(server.addr(), "/probes/a/live", TIMEOUT).await,
        Outcome::Status(200)
    );
    let targets: Vec<String> = server
        .requests()
        .iter()
        .map(|h| request_target(h).to_owned())
        .collect();
    assert_eq!(targets, ["/probes/a/live", "/ok?from=live"]);
}

/// `RedirectChecker` compares host names with `!=`: `LOCALHOST` is not `localhost`, so the
/// chain ends with the 302, a success the kubelet reports as a warning.
#[tokio::test]
async fn redirect_checker_compares_host_names_case_sensitively() {
    let server = ScriptedServer::start("127.0.0.1:0", |head, addr| match request_target(head) {
        "/start" => found(&format!("http://LOCALHOST:{}/down", addr.port())),
        _ => unavailable(),
    })
    .await;
    let probe = HttpGet::on_host("localhost", server.addr().port(), "/start");
    let outcome = probe.probe(TIMEOUT).await;
    assert_eq!(outcome, Outcome::Status(302));
    assert!(outcome.is_success() && outcome.is_warning());
    assert_eq!(server.requests().len(), 1);
}

/// `ReadAtMost` on a chunked body cut before its last chunk: a prober error, retried and
/// thrown away, like a body short of its `Content-Length`.
#[tokio::test]
async fn run_probe_with_retries_discards_a_chunked_body_cut_short() {
    let server = ScriptedServer::start("127.0.0.1:0", |_, _| {
        reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n")
    })
    .await;
    let outcome = http_get(server.addr(), "/", TIMEOUT).await;
    assert!(matches!(outcome, Outcome::Discarded(_)), "{outcome:?}");
    // One try and two retries.
    assert_eq!(server.requests().len(), 3);
}

/// `newProbeRequest` with a probe's `httpHeaders`: `Host` names the host, an empty
/// `Accept` removes the default `*/*`, other headers go as given, next to the kubelet's
/// `User-Agent`; `Client.do` sends them again on a redirect, with a `Referer`.
#[tokio::test]
async fn new_probe_request_sends_the_probes_http_headers_and_client_do_a_referer() {
    let server = ScriptedServer::start("127.0.0.1:0", |head, _| match request_target(head) {
        "/health/first" => found("second"),
        _ => ok(),
    })
    .await;
    let probe = HttpGet::new(server.addr(), "/health/first")
        .header("Host", "api.example.com")
        .header("Accept", "")
        .header("x-probe", "kubelet");
    assert_eq!(probe.probe(TIMEOUT).await, Outcome::Status(200));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for head in &requests {
        assert_eq!(
            request_header(head, "host"),
            Some("api.example.com"),
            "{head}"
        );
        assert_eq!(request_header(head, "accept"), None, "{head}");
        assert_eq!(request_header(head, "x-probe"), Some("kubelet"), "{head}");
        assert_eq!(
            request_header(head, "user-agent"),
            Some("kube-probe/1.34"),
            "{head}"
        );
        assert_eq!(request_header(head, "connection"), Some("close"), "{head}");
    }
    let first = format!("http://{}/health/first", server.addr());
    assert_eq!(request_header(&requests[0], "referer"), None);
    assert_eq!(
        request_header(&requests[1], "referer"),
        Some(first.as_str())
    );

    // Without headers of its own, the probe accepts anything and names the pod's address.
    assert_eq!(
        http_get(server.addr(), "/plain", TIMEOUT).await,
        Outcome::Status(200)
    );
    let plain = server.requests().pop().unwrap();
    assert_eq!(request_header(&plain, "accept"), Some("*/*"), "{plain}");
    assert_eq!(
        request_header(&plain, "host"),
        Some(server.addr().to_string().as_str())
    );
}
