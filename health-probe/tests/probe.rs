//! The `health-probe` binary against real servers: a health-runtime service, a server that
//! never answers, and a closed port.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output, Stdio};
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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn exits_zero_for_2xx_and_3xx() {
    let addr = service();
    for path in ["/health", "/health/started", "/moved"] {
        let url = format!("http://{addr}{path}");
        let (output, _) = health_probe(&[&url, "--timeout", "5s"], Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(0), "{path}: {}", stdout(&output));
    }
    // Same-host redirects are followed and the final status judged, as the kubelet does.
    let (output, _) = health_probe(&[&format!("http://{addr}/moved")], Duration::from_secs(30));
    assert!(
        stdout(&output).contains(": 200 (healthy)"),
        "{}",
        stdout(&output)
    );
    // A redirect to another host is not followed: its 3xx is the answer.
    let (output, _) = health_probe(&[&format!("http://{addr}/away")], Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(": 307 (healthy)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_redirect_to_a_failing_page_or_a_redirect_loop_fails() {
    let addr = service();
    let (output, _) = health_probe(
        &[&format!("http://{addr}/moved-down")],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(": 503 (unhealthy)"),
        "{}",
        stdout(&output)
    );
    let (output, _) = health_probe(&[&format!("http://{addr}/loop")], Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("stopped after 10 redirects"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn exits_one_for_4xx_and_5xx() {
    let addr = service();
    for (path, status) in [("/health/ready", 503), ("/nope", 404), ("/teapot", 418)] {
        let url = format!("http://{addr}{path}");
        let (output, _) = health_probe(&[&url, "-t", "5s"], Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(1), "{path}");
        assert!(
            stdout(&output).contains(&format!(": {status} (unhealthy)")),
            "{path}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn exits_one_when_nothing_answers_in_time() {
    // Accepts connections (the kernel does, from the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health/ready", silent.local_addr().unwrap());
    let (output, elapsed) = health_probe(&[&url, "--timeout", "300ms"], Duration::from_secs(30));
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
    let (output, _) = health_probe(&[&url], Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn exits_one_on_a_usage_error() {
    for args in [
        &[][..],
        &["https://127.0.0.1/health"],
        &["http://127.0.0.1/", "--timeout", "soon"],
    ] {
        let (output, _) = health_probe(args, Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}
