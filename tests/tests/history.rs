//! The history: the last results of each check (bounded), its transitions with their time
//! and error, its uptime over the window, recorded once per run whatever started it, and
//! served at `/health/history` under the details policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use health_runtime::{Check, DetailsPolicy, Health, Probe};
use tests::http::TestServer;
use tests::secrets::SECRET_PASSWORD;

/// A check that fails while `up` is false, with an error quoting a registered secret.
fn switch(name: &'static str, up: &Arc<AtomicBool>) -> Check {
    let up = Arc::clone(up);
    Check::new(name, move || {
        let up = up.load(Ordering::SeqCst);
        async move {
            if up {
                Ok(())
            } else {
                Err(format!(
                    "connection refused by postgres://app:{SECRET_PASSWORD}@db"
                ))
            }
        }
    })
}

#[tokio::test]
async fn keeps_the_last_results_every_transition_and_the_uptime_of_the_window() {
    let up = Arc::new(AtomicBool::new(true));
    let health = Health::builder()
        .without_registered()
        .check(switch("db", &up))
        .check(Check::new("disk", || async { true }))
        .secret(SECRET_PASSWORD)
        .history(8)
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    let pattern = [
        true, true, true, true, false, false, false, true, true, true, true, true,
    ];
    for state in pattern {
        up.store(state, Ordering::SeqCst);
        server.get("/health/ready").await;
    }

    let response = server.get("/health/history").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let history = response.json();
    assert_eq!(history["capacity"], 8);
    let db = &history["checks"]["db"];
    let results = db["results"].as_array().unwrap();
    assert_eq!(results.len(), 8, "bounded by the capacity: {db}");
    let statuses: Vec<_> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "unhealthy",
            "unhealthy",
            "unhealthy",
            "healthy",
            "healthy",
            "healthy",
            "healthy",
            "healthy"
        ]
    );
    assert_eq!(db["uptime"], 5.0 / 8.0);
    for result in results {
        assert_eq!(result["probe"], "readiness");
        assert!(result["latency_ms"].as_f64().unwrap() >= 0.0);
        let at = result["at"].as_str().unwrap();
        assert!(humantime_like(at), "{at}");
    }
    let error = results[0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("connection refused by postgres://app:"),
        "{error}"
    );
    assert!(!history.to_string().contains(SECRET_PASSWORD), "{history}");

    // Every transition, older than the window too, with its time and error.
    let transitions = db["transitions"].as_array().unwrap();
    let changes: Vec<_> = transitions
        .iter()
        .map(|t| (t["from"].as_str(), t["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            (None, "healthy"),
            (Some("healthy"), "unhealthy"),
            (Some("unhealthy"), "healthy")
        ]
    );
    assert!(
        transitions[1]["error"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
    assert!(transitions[0]["at"].as_str().unwrap() <= transitions[1]["at"].as_str().unwrap());
    assert_eq!(history["checks"]["disk"]["uptime"], 1.0);

    // The history of one check.
    let one = server.get("/health/history?check=disk").await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["results"].as_array().unwrap().len(), 8);
    let none = server.get("/health/history?check=nope").await;
    assert_eq!(none.status, 404);
    assert!(none.json()["error"].as_str().unwrap().contains("nope"));

    // The same record through the API.
    let db = health.history().unwrap().check("db").unwrap();
    assert_eq!(db.entries().len(), 8);
    assert_eq!(db.uptime(), Some(5.0 / 8.0));
}

/// `2026-01-02T03:04:05.678Z`
fn humantime_like(text: &str) -> bool {
    text.len() == 24 && text.ends_with('Z') && text.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn follows_the_details_policy_and_names_no_check_to_the_public() {
    let up = Arc::new(AtomicBool::new(false));
    let status_only = Health::builder()
        .without_registered()
        .check(switch("orders_db", &up))
        .details(DetailsPolicy::StatusOnly)
        .build()
        .unwrap();
    let server = TestServer::start(status_only.router()).await;
    server.get("/health/ready").await;
    for path in [
        "/health/history",
        "/health/history?check=orders_db",
        "/health/history?check=x",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status, 403, "{path}");
        let body = String::from_utf8_lossy(&response.body).into_owned();
        assert!(!body.contains("orders_db"), "{path}: {body}");
        assert!(response.json()["error"].is_string());
    }

    let token = "history-t0ken";
    let guarded = Health::builder()
        .without_registered()
        .check(switch("orders_db", &up))
        .details(DetailsPolicy::full_with_token(token))
        .build()
        .unwrap();
    let server = TestServer::start(guarded.router()).await;
    server.get("/health/ready").await;
    let refused = server
        .get_with("/health/history", &[("authorization", "Bearer wrong")])
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    assert!(!String::from_utf8_lossy(&refused.body).contains("orders_db"));
    let bearer = format!("Bearer {token}");
    let granted = server
        .get_with("/health/history", &[("authorization", &bearer)])
        .await;
    assert_eq!(granted.status, 200);
    assert_eq!(
        granted.json()["checks"]["orders_db"]["results"][0]["status"],
        "unhealthy"
    );
}

#[tokio::test]
async fn records_each_run_once_and_what_started_it() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let health = Health::builder()
        .without_registered()
        .check(Check::new("cached", move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { true }
        }))
        .check(Check::new("model", || async { true }).probes([Probe::Startup, Probe::Readiness]))
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    for _ in 0..20 {
        assert_eq!(server.get("/health/ready").await.status, 200);
    }
    let history = health.history().unwrap();
    // One run, shared by 20 requests: one record.
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(history.check("cached").unwrap().entries().len(), 1);
    // Readiness ran the startup checks first: that run is the startup probe's.
    let model = history.check("model").unwrap().entries();
    assert_eq!(model[0].ran_by().as_str(), "startup");

    let background = Health::builder()
        .without_registered()
        .check(Check::new("refreshed", || async { true }))
        .background(Duration::from_millis(20))
        .build()
        .unwrap();
    let _server = TestServer::start(background.router()).await;
    let refreshed = background.history().unwrap().check("refreshed").unwrap();
    for _ in 0..200 {
        if refreshed.entries().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let entries = refreshed.entries();
    assert!(entries.len() >= 3, "{entries:?}");
    assert!(entries.iter().all(|e| e.ran_by().as_str() == "background"));
}

#[tokio::test]
async fn history_off_records_nothing_and_serves_no_route() {
    let health = Health::builder()
        .without_registered()
        .check(Check::new("disk", || async { true }))
        .history(0)
        .build()
        .unwrap();
    assert!(health.history().is_none());
    let server = TestServer::start(health.router()).await;
    assert_eq!(server.get("/health/ready").await.status, 200);
    let response = server.get("/health/history").await;
    assert_eq!(response.status, 404);

    let moved = Health::builder()
        .without_registered()
        .history_path("/ops/history")
        .build()
        .unwrap();
    let server = TestServer::start(moved.router()).await;
    assert_eq!(server.get("/ops/history").await.status, 200);
    let invalid = Health::builder().history_path("ops").build().unwrap_err();
    assert!(invalid.to_string().contains("`ops`"), "{invalid}");
}
