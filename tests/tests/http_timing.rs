//! Timing semantics, deterministic on tokio's paused clock: time only moves when every
//! task waits on a timer, so "as long as the slowest check" and "bounded by the timeout"
//! are exact, not wall-clock thresholds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use health_runtime::{Check, Health};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::time::Instant;
use tower::ServiceExt;

async fn get(router: &Router, path: &str) -> (u16, Value) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

fn sleeping(name: String, sleep: Duration) -> Check {
    Check::new(name, move || tokio::time::sleep(sleep))
}

#[tokio::test(start_paused = true)]
async fn a_hundred_checks_of_50ms_take_50ms_not_5s() {
    let health = (0..100)
        .map(|i| sleeping(format!("check{i:03}"), Duration::from_millis(50)))
        .fold(Health::builder().without_registered(), |b, c| b.check(c))
        .build()
        .unwrap();
    let router: Router = health.router();

    let started = Instant::now();
    let (status, body) = get(&router, "/health/ready").await;
    let elapsed = started.elapsed();

    assert_eq!(status, 200);
    assert_eq!(body["checks"].as_object().unwrap().len(), 100);
    assert!(
        elapsed >= Duration::from_millis(50) && elapsed < Duration::from_millis(52),
        "took {elapsed:?}"
    );
    for (name, entry) in body["checks"].as_object().unwrap() {
        assert_eq!(entry["latency_ms"], 50.0, "{name}: {entry}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_report_takes_as_long_as_its_slowest_check() {
    let health = Health::builder()
        .without_registered()
        .check(sleeping("fast".into(), Duration::from_millis(10)))
        .check(sleeping("medium".into(), Duration::from_millis(300)))
        .check(sleeping("slow".into(), Duration::from_millis(700)))
        .build()
        .unwrap();
    let router: Router = health.router();

    let started = Instant::now();
    let (_, body) = get(&router, "/health/ready").await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(700) && elapsed < Duration::from_millis(702));
    assert_eq!(body["checks"]["fast"]["latency_ms"], 10.0);
    assert_eq!(body["checks"]["medium"]["latency_ms"], 300.0);
    assert_eq!(body["checks"]["slow"]["latency_ms"], 700.0);
}

#[tokio::test(start_paused = true)]
async fn each_check_is_cut_at_its_own_timeout() {
    let health = Health::builder()
        .without_registered()
        .check(sleeping("db".into(), Duration::from_secs(30)).timeout(Duration::from_millis(2000)))
        .check(sleeping("redis".into(), Duration::from_secs(30)))
        .check(sleeping("quick".into(), Duration::from_millis(5)))
        .build()
        .unwrap();
    let router: Router = health.router();

    let started = Instant::now();
    let (status, body) = get(&router, "/health/ready").await;
    let elapsed = started.elapsed();

    assert_eq!(status, 503);
    assert!(elapsed >= Duration::from_millis(2000) && elapsed < Duration::from_millis(2002));
    assert_eq!(body["checks"]["db"]["error"], "Timeout after 2000ms");
    assert_eq!(body["checks"]["db"]["latency_ms"], 2000.0);
    // The default timeout is 1000 ms.
    assert_eq!(body["checks"]["redis"]["error"], "Timeout after 1000ms");
    assert_eq!(body["checks"]["redis"]["latency_ms"], 1000.0);
    assert_eq!(body["checks"]["quick"]["healthy"], true);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_run_is_stopped_not_left_running() {
    let finished = Arc::new(AtomicUsize::new(0));
    let counter = finished.clone();
    let health = Health::builder()
        .without_registered()
        .check(
            Check::new("slow", move || {
                let counter = counter.clone();
                async move {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            })
            .timeout(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let router: Router = health.router();

    let (status, _) = get(&router, "/health/ready").await;
    assert_eq!(status, 503);
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "the timed-out run went on"
    );
}

/// A run that blocks its worker thread past its deadline (a sync call in async code) is
/// reported as timed out, and does not hold the check: the next request starts a new run
/// instead of joining the stuck one and answering `Timeout` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_stuck_past_its_deadline_does_not_hold_the_check() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let health = Health::builder()
        .without_registered()
        .check(
            Check::new("stuck-once", move || {
                let run = counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::task::yield_now().await;
                    if run == 0 {
                        std::thread::sleep(Duration::from_millis(1500));
                    }
                }
            })
            .timeout(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    let router: Router = health.router();

    let started = std::time::Instant::now();
    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["stuck-once"]["error"], "Timeout after 200ms");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "waited for the stuck run"
    );

    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, 200, "joined the stuck run: {body}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
