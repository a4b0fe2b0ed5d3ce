//! A `tracing` event on every status transition of a check, not on every probe. In a test
//! binary of its own: the subscriber is process-wide, so no other test's events (or
//! callsite interest cached before it was installed) interfere.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use health_runtime::{Check, Health};
use tests::http::TestServer;

/// Collects the messages of `tracing` events.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl std::io::Write for Events {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(bytes).into_owned());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_status_transition_is_logged_once_not_on_every_probe() {
    let events = Events::default();
    let writer = events.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

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
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains("check=\"database\"") || line.contains("check=database"))
        .cloned()
        .collect();
    assert_eq!(transitions.len(), 3, "{transitions:#?}");
    assert!(transitions[0].contains("from=\"unknown\"") || transitions[0].contains("from=unknown"));
    assert!(transitions[1].contains("WARN") && transitions[1].contains("connection refused"));
    assert!(transitions[2].contains("INFO") && transitions[2].contains("healthy"));
}
