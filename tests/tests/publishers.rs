//! Publishers: each status change (and, on a schedule, the readiness report) handed to
//! every publisher off the probe path, through a bounded queue. The webhook publisher
//! against a local receiver that fails, hangs and recovers: it retries with backoff,
//! gives up on a hung sink at its timeout, drops what its queue cannot hold (counted), and
//! never delays a probe; its URL, a credential, appears in no log line.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use health_runtime::publish::{Event, PublishFuture, Publisher, Webhook, WebhookFormat};
use health_runtime::{Check, Health};
use tests::capture::Logs;
use tests::http::TestServer;
use tests::secrets::WEBHOOK_SECRET;

const ANSWER: u8 = 0;
const FAIL: u8 = 1;
const HANG: u8 = 2;

/// A webhook receiver: answers 200, answers 500, or never answers, as told.
#[derive(Default)]
struct Receiver {
    mode: AtomicU8,
    attempts: AtomicUsize,
    delivered: Mutex<Vec<serde_json::Value>>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, body: Bytes) -> StatusCode {
    receiver.attempts.fetch_add(1, Ordering::SeqCst);
    match receiver.mode.load(Ordering::SeqCst) {
        FAIL => StatusCode::INTERNAL_SERVER_ERROR,
        HANG => std::future::pending().await,
        _ => {
            let body = serde_json::from_slice(&body).expect("a JSON body");
            receiver.delivered.lock().unwrap().push(body);
            StatusCode::OK
        }
    }
}

async fn receiver() -> (Arc<Receiver>, TestServer, String) {
    let receiver = Arc::new(Receiver::default());
    let path = format!("/services/T0HOOK/B0HOOK/{WEBHOOK_SECRET}");
    let app = Router::new()
        .route(&path, post(receive))
        .with_state(Arc::clone(&receiver));
    let server = TestServer::start(app).await;
    let url = format!("http://{}{path}", server.addr);
    (receiver, server, url)
}

fn switch(up: &Arc<AtomicBool>) -> Check {
    let up = Arc::clone(up);
    Check::new("db", move || {
        let up = up.load(Ordering::SeqCst);
        async move {
            if up {
                Ok(())
            } else {
                Err("connection refused")
            }
        }
    })
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_retries_a_failing_sink_gives_up_on_a_hung_one_and_delivers_once_it_recovers() {
    let logs = Logs::install(tracing::Level::DEBUG);
    let (receiver, _sink, url) = receiver().await;
    let up = Arc::new(AtomicBool::new(true));
    let webhook = Webhook::new(&url)
        .unwrap()
        .timeout(Duration::from_millis(200))
        .retries(2)
        .backoff(Duration::from_millis(20));
    let health = Health::builder()
        .without_registered()
        .check(switch(&up))
        .publisher(webhook)
        .publish_queue(4)
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    let stats = || health.publisher_stats()[0].clone();
    assert_eq!(stats().name(), "webhook:127.0.0.1");

    // Failing: each event is tried three times (two retries), then counted failed.
    receiver.mode.store(FAIL, Ordering::SeqCst);
    server.get("/health/ready").await; // db: none → healthy; readiness: none → ready
    until("two failed events", Duration::from_secs(10), || {
        stats().failed() == 2
    })
    .await;
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 6);

    // Hung: the probes do not wait; events past the queue's four are dropped and counted.
    receiver.mode.store(HANG, Ordering::SeqCst);
    let started = Instant::now();
    for i in 0..20 {
        up.store(i % 2 == 1, Ordering::SeqCst);
        let response = server.get("/health/ready").await;
        assert_eq!(response.status, if i % 2 == 1 { 200 } else { 503 });
    }
    let took = started.elapsed();
    // Forty events; the hung sink holds each for three 200 ms attempts.
    assert!(
        took < Duration::from_secs(3),
        "the probes waited for the sink: {took:?}"
    );
    until("events dropped", Duration::from_secs(5), || {
        stats().dropped() > 0
    })
    .await;
    until("a hung attempt given up", Duration::from_secs(5), || {
        stats().failed() >= 3
    })
    .await;

    // Recovered: what is queued is delivered, and the next change too.
    receiver.mode.store(ANSWER, Ordering::SeqCst);
    until("the queue drained", Duration::from_secs(10), || {
        stats().queued() == 0
    })
    .await;
    up.store(false, Ordering::SeqCst);
    server.get("/health/ready").await;
    until("the last change delivered", Duration::from_secs(20), || {
        let delivered = receiver.delivered.lock().unwrap();
        delivered
            .iter()
            .any(|event| event["check"] == "db" && event["to"] == "unhealthy")
    })
    .await;
    let delivered = receiver.delivered.lock().unwrap().clone();
    let change = delivered
        .iter()
        .rev()
        .find(|event| event["check"] == "db")
        .unwrap();
    assert_eq!(change["event"], "status_change");
    assert_eq!(change["from"], "healthy");
    assert_eq!(change["error"], "connection refused");
    assert!(change["at"].as_str().unwrap().ends_with('Z'));
    assert!(delivered.iter().any(|event| event["probe"] == "readiness"));
    let stats = stats();
    assert!(
        stats.delivered() >= 2 && stats.failed() >= 3 && stats.dropped() > 0,
        "{stats:?}"
    );

    // The failures were logged, without the webhook's URL.
    let text = logs.text();
    assert!(
        text.contains("publisher failed to deliver an event"),
        "{text}"
    );
    assert!(
        text.contains("answered 500") && text.contains("no answer within 200ms"),
        "{text}"
    );
    assert!(!text.contains(WEBHOOK_SECRET), "{text}");
    assert!(!format!("{health:?}").contains(WEBHOOK_SECRET));
    assert_eq!(health.secrets().scrub(&url), "***");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_and_teams_get_their_incoming_webhook_payloads() {
    let (slack, _slack_server, slack_url) = receiver().await;
    let (teams, _teams_server, teams_url) = receiver().await;
    let up = Arc::new(AtomicBool::new(true));
    let health = Health::builder()
        .without_registered()
        .check(switch(&up))
        .publisher(
            Webhook::new(&slack_url)
                .unwrap()
                .format(WebhookFormat::Slack),
        )
        .publisher(
            Webhook::new(&teams_url)
                .unwrap()
                .format(WebhookFormat::Teams),
        )
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    server.get("/health/ready").await;
    up.store(false, Ordering::SeqCst);
    server.get("/health/ready").await;
    let failing = |receiver: &Receiver, key: &str| {
        receiver
            .delivered
            .lock()
            .unwrap()
            .iter()
            .find(|body| {
                body[key]
                    .as_str()
                    .is_some_and(|text| text.contains("healthy → unhealthy"))
            })
            .cloned()
    };
    until("both delivered", Duration::from_secs(10), || {
        failing(&slack, "text").is_some() && failing(&teams, "text").is_some()
    })
    .await;
    // Slack: `{"text": ...}` (https://api.slack.com/messaging/webhooks).
    let message = failing(&slack, "text").unwrap();
    assert_eq!(
        message,
        serde_json::json!({"text": ":red_circle: check db: healthy → unhealthy (connection refused)"})
    );
    // Teams: an Office 365 connector card (`MessageCard`).
    let card = failing(&teams, "text").unwrap();
    assert_eq!(card["@type"], "MessageCard");
    assert_eq!(card["@context"], "http://schema.org/extensions");
    assert_eq!(card["themeColor"], "B42318");
    assert_eq!(card["summary"], card["text"]);
    assert_eq!(card["title"], "Health check failing");
}

/// Collects what it is handed; or never finishes, when `stuck`.
#[derive(Default, Clone)]
struct Collector {
    events: Arc<Mutex<Vec<Event>>>,
    stuck: bool,
}

impl Publisher for Collector {
    fn name(&self) -> &str {
        if self.stuck { "stuck" } else { "collector" }
    }

    fn publish<'a>(&'a self, event: &'a Event) -> PublishFuture<'a> {
        Box::pin(async move {
            if self.stuck {
                std::future::pending::<()>().await;
            }
            self.events.lock().unwrap().push(event.clone());
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_a_schedule_and_a_stuck_publisher_holds_no_other() {
    let collector = Collector::default();
    let (webhook, _server, url) = receiver().await;
    let health = Health::builder()
        .without_registered()
        .check(Check::new("disk", || async { true }))
        .publisher(collector.clone())
        .publisher(Collector {
            stuck: true,
            ..Collector::default()
        })
        .publisher(Webhook::new(&url).unwrap().reports(true))
        .publish_every(Duration::from_millis(50))
        .publish_queue(2)
        .publish_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    // Publishing starts with the first router built inside the runtime.
    let _router: Router = health.router();
    let reports = || {
        collector
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|event| matches!(event, Event::Report { .. }))
            .count()
    };
    until("five reports", Duration::from_secs(10), || reports() >= 5).await;
    let events = collector.events.lock().unwrap().clone();
    // The first report's run changed the check and the probe: their changes came first.
    let changes: Vec<_> = events
        .iter()
        .take_while(|event| matches!(event, Event::Change { .. }))
        .map(Event::summary)
        .collect();
    assert_eq!(
        changes,
        [
            "check disk: unknown → healthy",
            "readiness probe: unknown → ready"
        ]
    );
    let event = events[changes.len()].clone();
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["event"], "report");
    assert_eq!(json["probe"], "readiness");
    assert_eq!(json["report"]["status"], "ready");
    assert_eq!(json["report"]["checks"]["disk"]["healthy"], true);
    assert_eq!(event.summary(), "readiness report: ready");
    until("reports posted", Duration::from_secs(10), || {
        webhook.delivered.lock().unwrap().len() >= 3
    })
    .await;
    let stats = health.publisher_stats();
    let stuck = stats.iter().find(|s| s.name() == "stuck").unwrap();
    until(
        "the stuck publisher timed out and dropped",
        Duration::from_secs(10),
        || {
            let stats = health.publisher_stats();
            let stuck = stats.iter().find(|s| s.name() == "stuck").unwrap();
            stuck.failed() >= 1
        },
    )
    .await;
    assert_eq!(stuck.delivered(), 0);
}
