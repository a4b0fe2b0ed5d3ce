//! A run ends however its check behaves — completes, times out, panics, panics while it
//! is dropped at its timeout, blocks its thread — and always leaves a result and a free
//! slot: later probes run the check again, background refresh goes on, and a check that
//! blocked its thread past its timeout is a `Timeout`, named in a warning. In a test binary
//! of its own: the log subscriber is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use health_runtime::{Check, Health};
use http_body_util::BodyExt;
use tests::capture::Logs;
use tests::http::TestServer;
use tower::ServiceExt;

/// Every `tracing` event of this test binary.
fn events() -> &'static Logs {
    static EVENTS: OnceLock<Logs> = OnceLock::new();
    EVENTS.get_or_init(|| Logs::install(tracing::Level::INFO))
}

fn logged_lines(check: &str, text: &str) -> Vec<String> {
    let log = log();
    log.lines()
        .filter(|line| {
            line.contains(&format!("check=\"{check}\"")) || line.contains(&format!("check={check}"))
        })
        .filter(|line| line.contains(text))
        .map(str::to_owned)
        .collect()
}

fn log() -> String {
    events().text()
}

/// The lines logged for `check` containing `text`, waiting up to 5 s for the first one.
async fn wait_logged(check: &str, text: &str) -> Vec<String> {
    for _ in 0..50 {
        let lines = logged_lines(check, text);
        if !lines.is_empty() {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

/// Panics when dropped, as a guard whose cleanup fails does.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("cleanup failed");
        }
    }
}

/// A check whose first run hangs holding a guard that panics when dropped at the timeout;
/// every later run is healthy at once.
fn panics_when_dropped_once(name: &str, runs: Arc<AtomicUsize>) -> Check {
    Check::new(name.to_owned(), move || {
        let run = runs.fetch_add(1, Ordering::SeqCst);
        async move {
            if run == 0 {
                let _guard = PanicsOnDrop;
                std::future::pending::<()>().await;
            }
        }
    })
    .timeout(Duration::from_millis(300))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_panicking_while_dropped_at_its_timeout_frees_its_slot() {
    events();
    let runs = Arc::new(AtomicUsize::new(0));
    let health = Health::builder()
        .without_registered()
        .check(panics_when_dropped_once("drop-panics", runs.clone()))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let first = server.get("/health/ready").await;
    assert_eq!(first.status, 503);
    assert_eq!(
        first.json()["checks"]["drop-panics"]["error"],
        "Timeout after 300ms"
    );

    let second = server.get("/health/ready").await;
    assert_eq!(
        second.status,
        200,
        "the check was not run again: {:?}",
        second.json()
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let logged = wait_logged("drop-panics", "panicked while being dropped").await;
    assert_eq!(logged.len(), 1, "{}", log());
    assert!(logged[0].contains("ERROR"), "{}", logged[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_refresh_goes_on_after_a_run_panics_while_dropped() {
    events();
    let runs = Arc::new(AtomicUsize::new(0));
    let health = Health::builder()
        .without_registered()
        .background(Duration::from_millis(100))
        .check(panics_when_dropped_once(
            "background-drop-panics",
            runs.clone(),
        ))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let mut statuses = Vec::new();
    for _ in 0..40 {
        let response = server.get("/health/ready").await;
        statuses.push(response.status.as_u16());
        if response.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        statuses.last(),
        Some(&200),
        "readiness never recovered: {statuses:?}"
    );
    assert!(runs.load(Ordering::SeqCst) >= 2);
}

/// The check blocks the runtime's only thread for 10 s, so its 1 s timer cannot fire: it
/// returns "healthy" after 10 s, which is a timeout, not a success.
#[tokio::test(flavor = "current_thread")]
async fn a_check_blocking_its_thread_past_its_timeout_is_a_timeout() {
    events();
    let health = Health::builder()
        .without_registered()
        .check(
            Check::new("blocks-thread", || async {
                std::thread::sleep(Duration::from_secs(10));
            })
            .timeout(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let request = Request::get("/health/ready").body(Body::empty()).unwrap();
    let response = health.router::<()>().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 503);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let entry = &report["checks"]["blocks-thread"];
    assert_eq!(entry["healthy"], false, "{entry}");
    assert_eq!(entry["error"], "Timeout after 1000ms", "{entry}");
    let warnings = logged_lines("blocks-thread", "blocked its thread for");
    assert_eq!(warnings.len(), 1, "{}", log());
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
}
