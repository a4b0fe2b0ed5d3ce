//! A `tracing` event on every status transition of a check, not on every probe. In a test
//! binary of its own: the subscriber is process-wide, so no other test's events (or
//! callsite interest cached before it was installed) interfere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use health_runtime::{Check, Health};
use tests::capture::Logs;
use tests::http::TestServer;

#[tokio::test]
async fn a_status_transition_is_logged_once_not_on_every_probe() {
    let events = Logs::install(tracing::Level::INFO);

    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let health = Health::builder()
        .without_registered()
        .check(Check::new("database", move || {
            let up = flag.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(())
                } else {
                    Err("connection refused")
                }
            }
        }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    for up_now in [true, true, true, false, false, false, true, true] {
        up.store(up_now, Ordering::SeqCst);
        server.get("/health/ready").await;
    }
    let transitions: Vec<String> = events
        .entries()
        .iter()
        .filter(|line| line.contains("check=\"database\"") || line.contains("check=database"))
        .cloned()
        .collect();
    assert_eq!(transitions.len(), 3, "{transitions:#?}");
    assert!(transitions[0].contains("from=\"unknown\"") || transitions[0].contains("from=unknown"));
    assert!(transitions[1].contains("WARN") && transitions[1].contains("connection refused"));
    assert!(transitions[2].contains("INFO") && transitions[2].contains("healthy"));
}
