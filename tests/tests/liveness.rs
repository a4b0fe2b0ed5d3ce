//! Liveness primitives through a real listening server: a stale heartbeat and a stalled
//! tokio runtime fail `/health`, while dependency checks never run there.
//!
//! Real time, with every margin pointing one way: what must be fresh is probed right after
//! it was refreshed, with a whole second to spare; what must be stale is probed after it
//! had longer than its limit to age (age only grows), or while its runtime is still held
//! blocked. A loaded machine can make these tests slower, not wrong.

use std::sync::mpsc;
use std::time::Duration;

use health_runtime::checks::liveness::{Heartbeat, RuntimeWatchdog};
use health_runtime::{Check, Health};
use tests::http::TestServer;

const LIMIT: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_stale_heartbeat_fails_liveness_until_the_worker_beats_again() {
    let heartbeat = Heartbeat::new("queue_worker", LIMIT);
    let health = Health::builder()
        .without_registered()
        .check(heartbeat.check())
        .check(Check::new("database", || async { false }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    heartbeat.beat();
    let response = server.get("/health").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "alive");
    assert!(response.json()["checks"].get("database").is_none());

    tokio::time::sleep(LIMIT + Duration::from_millis(200)).await;
    let response = server.get("/health").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "unhealthy");
    let error = body["checks"]["queue_worker"]["error"].as_str().unwrap();
    assert!(error.starts_with("no heartbeat for "), "{error}");
    assert!(error.ends_with(" ms (limit 1000 ms)"), "{error}");

    heartbeat.beat();
    assert_eq!(server.get("/health").await.status, 200);
}

#[tokio::test]
async fn a_stalled_runtime_fails_liveness_until_it_runs_again() {
    // The application's runtime, on a thread of its own, is the one watched and blocked;
    // the probe is served from the test's runtime.
    let (watchdog_tx, watchdog_rx) = mpsc::channel();
    let (stall_tx, stall_rx) = mpsc::channel::<mpsc::Receiver<()>>();
    let (blocked_tx, blocked_rx) = mpsc::channel();
    let app = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            watchdog_tx.send(RuntimeWatchdog::start(LIMIT)).unwrap();
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                match stall_rx.try_recv() {
                    // A task that blocks its worker thread, as a sync call in async code
                    // does, until the test lets it go.
                    Ok(release) => {
                        blocked_tx.send(()).unwrap();
                        let _ = release.recv();
                    }
                    Err(mpsc::TryRecvError::Empty) => {}
                    Err(mpsc::TryRecvError::Disconnected) => break,
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

    let response = server.get("/health").await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );

    let (release_tx, release_rx) = mpsc::channel();
    stall_tx.send(release_rx).unwrap();
    blocked_rx.recv().unwrap();
    // Blocked for longer than the limit plus the watchdog's tick (a quarter of it).
    tokio::time::sleep(LIMIT + LIMIT / 4 + Duration::from_millis(300)).await;
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

    // Once the runtime runs again, the lag of a later tick clears.
    release_tx.send(()).unwrap();
    let mut recovered = false;
    for _ in 0..100 {
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
