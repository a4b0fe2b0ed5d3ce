//! `HealthBuilder::on_change`: called once per transition of a check or of a probe's
//! report, never on a probe that changes nothing, through a real server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use health_runtime::report::{StatusChange, Subject};
use health_runtime::{Check, Health, Probe};
use tests::http::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_see_each_transition_once() {
    let changes: Arc<Mutex<Vec<StatusChange>>> = Arc::default();
    let seen = changes.clone();
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let health = Health::builder()
        .without_registered()
        .drain_delay(std::time::Duration::ZERO)
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
        .on_change(move |change| seen.lock().unwrap().push(change.clone()))
        // A hook that panics does not stop the others.
        .on_change(|_| panic!("a broken hook"))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    for up_now in [true, true, false, false, false, true, true] {
        up.store(up_now, Ordering::SeqCst);
        server.get("/health/ready").await;
    }
    health.begin_shutdown();
    server.get("/health/ready").await;
    server.get("/health/ready").await;

    let changes = changes.lock().unwrap().clone();
    let of = |wanted: &Subject| -> Vec<(Option<&str>, &str, Option<String>)> {
        changes
            .iter()
            .filter(|change| &change.subject == wanted)
            .map(|change| (change.from, change.to, change.error.clone()))
            .collect()
    };
    assert_eq!(
        of(&Subject::Check("database".into())),
        [
            (None, "healthy", None),
            (
                Some("healthy"),
                "unhealthy",
                Some("connection refused".to_owned())
            ),
            (Some("unhealthy"), "healthy", None),
        ],
        "{changes:?}"
    );
    assert_eq!(
        of(&Subject::Probe(Probe::Readiness)),
        [
            (None, "ready", None),
            (Some("ready"), "not_ready", None),
            (Some("not_ready"), "ready", None),
            (Some("ready"), "shutting_down", None),
        ],
        "{changes:?}"
    );
    assert_eq!(changes.len(), 7, "{changes:?}");
}
