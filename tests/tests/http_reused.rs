//! A whole report made only of reused results (cached for a TTL, or refreshed in the
//! background) is rendered once and served again, through a real listening server: what
//! it serves is always what a fresh rendering would say — a new result, a gate (shutdown,
//! maintenance, broken) or another view (details or not, IETF or plain JSON) is never
//! answered with bytes rendered before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use health_runtime::{Check, DetailsPolicy, Health, Probe};
use tests::http::TestServer;

const TOKEN: &str = "reused-report-token-5d1c";

/// A readiness check counting its runs and failing while `down` is set, a liveness check,
/// and a non-critical readiness check.
struct Service {
    health: Health,
    runs: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

fn service(
    reuse: impl FnOnce(health_runtime::HealthBuilder) -> health_runtime::HealthBuilder,
) -> Service {
    let runs = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (counter, flag) = (Arc::clone(&runs), Arc::clone(&down));
    let builder = Health::builder()
        .without_registered()
        .check(Check::new("db", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let up = !flag.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(())
                } else {
                    Err("connection refused")
                }
            }
        }))
        .check(Check::new("search", || async { true }).critical(false))
        .check(Check::new("heartbeat", || async { true }).probes(Probe::Liveness))
        .details(DetailsPolicy::FullWithToken(Arc::from(TOKEN)));
    Service {
        health: reuse(builder).build().expect("valid checks"),
        runs,
        down,
    }
}

const BEARER: &str = "Bearer reused-report-token-5d1c";

async fn ready(server: &TestServer) -> serde_json::Value {
    let response = server
        .get_with("/health/ready", &[("authorization", BEARER)])
        .await;
    let mut body = response.json();
    body["code"] = response.status.as_u16().into();
    body
}

#[tokio::test]
async fn a_cached_report_follows_its_results_and_its_age() {
    let service = service(|builder| builder.cache_ttl(Duration::from_millis(400)));
    let server = TestServer::start(service.health.router()).await;

    let first = ready(&server).await;
    assert_eq!(first["code"], 200, "{first}");
    assert_eq!(first["checks"]["db"]["healthy"], true, "{first}");
    let runs = service.runs.load(Ordering::SeqCst);
    assert_eq!(runs, 1);

    // Within the TTL: no run, and the age grows with the clock, not with the rendering.
    let mut ages = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let body = ready(&server).await;
        assert_eq!(body["checks"]["db"]["healthy"], true, "{body}");
        ages.push(body["checks"]["db"]["age_ms"].as_f64().expect("age_ms"));
    }
    assert_eq!(
        service.runs.load(Ordering::SeqCst),
        1,
        "served within the TTL"
    );
    for pair in ages.windows(2) {
        assert!(pair[1] >= pair[0] + 25.0, "ages {ages:?}");
    }

    // The dependency fails; once the TTL is over, the new result is what is served.
    service.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let failed = ready(&server).await;
    assert_eq!(failed["code"], 503, "{failed}");
    assert_eq!(
        failed["checks"]["db"]["error"], "connection refused",
        "{failed}"
    );
    assert_eq!(service.runs.load(Ordering::SeqCst), 2);
    for _ in 0..20 {
        let again = ready(&server).await;
        assert_eq!(again["code"], 503, "{again}");
        assert_eq!(again["status"], "not_ready", "{again}");
    }
    assert_eq!(service.runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gates_are_never_answered_with_a_report_rendered_before_them() {
    let service = service(|builder| builder.cache_ttl(Duration::from_secs(60)));
    let server = TestServer::start(service.health.router()).await;
    assert_eq!(ready(&server).await["code"], 200);
    assert_eq!(ready(&server).await["code"], 200);

    for round in 0..3 {
        service.health.set_unavailable("maintenance");
        let body = ready(&server).await;
        assert_eq!(body["code"], 503, "round {round}: {body}");
        assert_eq!(body["status"], "unavailable", "round {round}: {body}");
        assert_eq!(body["reason"], "maintenance", "round {round}: {body}");
        service.health.set_available();
        let body = ready(&server).await;
        assert_eq!(body["code"], 200, "round {round}: {body}");
        assert_eq!(body["status"], "ready", "round {round}: {body}");
    }

    let alive = server.get("/health").await;
    assert_eq!(alive.status, 200);
    service.health.mark_broken("state corrupted");
    let broken = server
        .get_with("/health", &[("authorization", BEARER)])
        .await;
    assert_eq!(broken.status, 503, "{}", broken.json());
    assert_eq!(broken.json()["status"], "broken");

    service.health.begin_shutdown();
    let body = ready(&server).await;
    assert_eq!(body["code"], 503, "{body}");
    assert_eq!(body["status"], "shutting_down", "{body}");
    assert_eq!(service.runs.load(Ordering::SeqCst), 1, "cached all along");
}

#[tokio::test]
async fn each_view_gets_its_own_rendering() {
    let service = service(|builder| builder.cache_ttl(Duration::from_secs(60)));
    let server = TestServer::start(service.health.router()).await;
    for _ in 0..3 {
        let public = server.get("/health/ready").await;
        assert_eq!(public.json(), serde_json::json!({"status": "ready"}));
        assert_eq!(public.header("content-type"), Some("application/json"));

        let full = ready(&server).await;
        assert_eq!(full["checks"]["search"]["critical"], false, "{full}");

        let ietf = server
            .get_with(
                "/health/ready",
                &[
                    ("authorization", BEARER),
                    ("accept", "application/health+json"),
                ],
            )
            .await;
        assert_eq!(ietf.header("content-type"), Some("application/health+json"));
        assert_eq!(ietf.json()["status"], "pass", "{}", ietf.json());
        assert!(ietf.json()["checks"].is_object(), "{}", ietf.json());

        let public_ietf = server
            .get_with("/health/ready", &[("accept", "application/health+json")])
            .await;
        assert_eq!(public_ietf.json()["checks"], serde_json::Value::Null);

        let live = server
            .get_with("/health", &[("authorization", BEARER)])
            .await;
        assert_eq!(live.json()["status"], "alive", "{}", live.json());
        assert_eq!(live.json()["checks"]["heartbeat"]["healthy"], true);
        assert!(live.json()["checks"].get("db").is_none(), "{}", live.json());
    }
    assert_eq!(service.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_background_report_changes_with_the_next_refresh() {
    let service = service(|builder| builder.background(Duration::from_millis(100)));
    let server = TestServer::start(service.health.router()).await;
    let first = ready(&server).await;
    assert_eq!(first["code"], 200, "{first}");
    service.down.store(true, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let body = ready(&server).await;
        if body["code"] == 503 {
            assert_eq!(
                body["checks"]["db"]["error"], "connection refused",
                "{body}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {body}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    service.down.store(false, Ordering::SeqCst);
    loop {
        let body = ready(&server).await;
        if body["code"] == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {body}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
