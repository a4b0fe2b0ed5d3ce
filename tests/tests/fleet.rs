//! The status page's fleet view: other instances asked for their readiness from the
//! server, within a timeout and a few at a time; an instance that refuses connections or
//! never answers is shown unreachable and holds the page no longer than the timeout.

use std::net::TcpListener as StdListener;
use std::time::{Duration, Instant};

use health_runtime::ui::Fleet;
use health_runtime::{Check, DetailsPolicy, Health};
use tests::http::TestServer;
use tokio::net::TcpListener;

async fn instance(healthy: bool) -> TestServer {
    let health = Health::builder()
        .without_registered()
        .check(Check::new("queue", move || async move { healthy }))
        .build()
        .unwrap();
    TestServer::start(health.router()).await
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener that accepts connections and never answers.
async fn hanging() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn page(fleet: Fleet, details: DetailsPolicy) -> Health {
    Health::builder()
        .without_registered()
        .fleet(fleet)
        .details(details)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_instances_answer_or_are_shown_unreachable_within_the_timeout() {
    let ready = instance(true).await;
    let failing = instance(false).await;
    let closed = closed_port();
    let (listener, silent) = hanging().await;
    let accepted = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let fleet = Fleet::instances([
        format!("http://{}", ready.addr),
        format!("http://{}/", failing.addr),
        format!("http://127.0.0.1:{closed}"),
        format!("http://127.0.0.1:{silent}"),
    ])
    .unwrap()
    .timeout(Duration::from_millis(300))
    .concurrency(2);
    let server = TestServer::start(page(fleet, DetailsPolicy::Full).router()).await;

    let started = Instant::now();
    let html = String::from_utf8_lossy(&server.get("/health/ui").await.body).into_owned();
    let took = started.elapsed();
    // Two rounds of two (the concurrency) at most, each bounded by the 300 ms timeout.
    assert!(took < Duration::from_secs(3), "the page waited {took:?}");
    let row = |port: u16| {
        let start = html
            .find(&format!("data-instance=\"127.0.0.1:{port}\""))
            .unwrap_or_else(|| panic!("no row for {port}: {html}"));
        let end = html[start..].find("</tr>").unwrap() + start;
        html[start..end].to_owned()
    };
    let ready_row = row(ready.addr.port());
    assert!(
        ready_row.contains(">ready<") && ready_row.contains("HTTP 200"),
        "{ready_row}"
    );
    let failing_row = row(failing.addr.port());
    assert!(failing_row.contains(">not_ready<"), "{failing_row}");
    assert!(failing_row.contains("HTTP 503") && failing_row.contains("failing: queue"));
    let closed_row = row(closed);
    assert!(
        closed_row.contains("unreachable") && closed_row.contains("connect"),
        "{closed_row}"
    );
    let silent_row = row(silent);
    assert!(
        silent_row.contains("unreachable") && silent_row.contains("timeout"),
        "{silent_row}"
    );
    // Instances are shown in the order listed.
    let order: Vec<_> = [ready.addr.port(), failing.addr.port(), closed, silent]
        .iter()
        .map(|port| html.find(&format!("127.0.0.1:{port}\"")).unwrap())
        .collect();
    assert!(order.is_sorted(), "{order:?}");

    // Within five seconds the answers are shown again, not asked anew.
    let started = Instant::now();
    server.get("/health/ui/live").await;
    assert!(started.elapsed() < Duration::from_millis(250));
    accepted.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_name_is_resolved_to_its_instances_and_the_locked_page_shows_none() {
    let ready = instance(true).await;
    let fleet = Fleet::dns("localhost", ready.addr.port()).timeout(Duration::from_secs(1));
    let server = TestServer::start(page(fleet, DetailsPolicy::Full).router()).await;
    let html = String::from_utf8_lossy(&server.get("/health/ui").await.body).into_owned();
    let row = format!("data-instance=\"127.0.0.1:{}\"", ready.addr.port());
    assert!(html.contains(&row), "{html}");

    let hidden = Fleet::dns("localhost", ready.addr.port());
    let server = TestServer::start(page(hidden, DetailsPolicy::StatusOnly).router()).await;
    let html = String::from_utf8_lossy(&server.get("/health/ui").await.body).into_owned();
    assert!(!html.contains("data-instance"), "{html}");
}
