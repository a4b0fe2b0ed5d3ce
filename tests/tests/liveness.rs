//! Liveness primitives through a real listening server: a stale heartbeat and a stalled
//! tokio runtime fail `/health`, while dependency checks never run there.

use std::time::Duration;

use health_runtime::checks::liveness::{Heartbeat, RuntimeWatchdog};
use health_runtime::{Check, Health};
use tests::http::TestServer;

#[tokio::test]
async fn a_stale_heartbeat_fails_liveness_until_the_worker_beats_again() {
    let heartbeat = Heartbeat::new("queue_worker", Duration::from_millis(300));
    let health = Health::builder()
        .without_registered()
        .check(heartbeat.check())
        .check(Check::new("database", || async { false }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let response = server.get("/health").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "alive");
    assert!(response.json()["checks"].get("database").is_none());

    tokio::time::sleep(Duration::from_millis(450)).await;
    let response = server.get("/health").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "unhealthy");
    let error = body["checks"]["queue_worker"]["error"].as_str().unwrap();
    assert!(error.starts_with("no heartbeat for "), "{error}");
    assert!(error.ends_with(" ms (limit 300 ms)"), "{error}");

    heartbeat.beat();
    assert_eq!(server.get("/health").await.status, 200);
}

#[tokio::test]
async fn a_stalled_runtime_fails_liveness() {
    // The application's runtime, on a thread of its own, is the one watched and blocked;
    // the probe is served from the test's runtime.
    let (watchdog_tx, watchdog_rx) = std::sync::mpsc::channel();
    let (stall_tx, stall_rx) = std::sync::mpsc::channel::<Duration>();
    let app = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            watchdog_tx
                .send(RuntimeWatchdog::start(Duration::from_millis(200)))
                .unwrap();
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                match stall_rx.try_recv() {
                    // A task that blocks its worker thread, as a sync call in async code does.
                    Ok(stall) => std::thread::sleep(stall),
                    Err(std::sync::mpsc::TryRecvError::Empty) => {}
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                }
            }
        });
    });
    let watchdog = watchdog_rx.recv().unwrap();
    let health = Health::builder()
        .without_registered()
        .check(watchdog.check())
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = server.get("/health").await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );

    stall_tx.send(Duration::from_millis(1500)).unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let response = server.get("/health").await;
    assert_eq!(response.status, 503);
    let error = response.json()["checks"]["runtime"]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.starts_with("tokio runtime stalled: scheduling lag "),
        "{error}"
    );

    // Once the runtime runs again, the lag of the next tick clears.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let mut recovered = false;
    for _ in 0..20 {
        if server.get("/health").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "liveness stayed failed after the stall ended");
    drop(stall_tx);
    app.join().unwrap();
}
