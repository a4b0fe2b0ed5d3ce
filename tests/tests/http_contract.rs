//! The HTTP contract of the README through a real listening server: every status and body
//! of the table, the check-entry shape, timeouts, panics, missing resources, single-check
//! endpoints, `?exclude=`, the startup latch and readiness before start.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use health_runtime::{
    Check, CheckOutcome, ConfigError, Health, Probe, RouteOptions, health_check, health_routes,
};
use serde_json::{Value, json};
use tests::http::TestServer;

fn health(checks: impl IntoIterator<Item = Check>) -> Health {
    checks
        .into_iter()
        .fold(Health::builder().without_registered(), |b, c| b.check(c))
        .build()
        .expect("valid checks")
}

async fn serve(health: &Health) -> TestServer {
    TestServer::start(health.router()).await
}

/// The keys of a check entry and their JSON types, without the (varying) latency value.
fn assert_entry(entry: &Value, healthy: bool, error: Option<&str>) {
    let object = entry.as_object().expect("a check entry is an object");
    assert_eq!(object["healthy"], json!(healthy), "{entry}");
    let latency = object["latency_ms"]
        .as_f64()
        .expect("latency_ms is a number");
    assert!(latency >= 0.0, "{entry}");
    // Rounded to 0.1 ms like the reference article's `3.2`.
    assert!(
        ((latency * 10.0).round() - latency * 10.0).abs() < 1e-9,
        "{entry}"
    );
    assert_eq!(
        object.get("error").and_then(Value::as_str),
        error,
        "{entry}"
    );
}

#[tokio::test]
async fn liveness_is_alive_without_running_dependency_checks() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let health = health([Check::new("db", move || {
        flag.store(true, Ordering::SeqCst);
        async { false }
    })]);
    let server = serve(&health).await;

    let response = server.get("/health").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, r#"{"status":"alive"}"#);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(
        !ran.load(Ordering::SeqCst),
        "liveness ran a readiness check"
    );
}

#[tokio::test]
async fn liveness_fails_only_on_an_opt_in_liveness_check() {
    let health = health([
        Check::new("deadlock", || async { Err::<(), _>("worker deadlocked") })
            .probes(Probe::Liveness),
        Check::new("db", || async { false }),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "unhealthy");
    assert_entry(
        &body["checks"]["deadlock"],
        false,
        Some("worker deadlocked"),
    );
    assert!(body["checks"].get("db").is_none(), "{body}");
}

#[tokio::test]
async fn readiness_reports_ready_with_every_check() {
    let health = health([
        Check::new("database", || async { Ok::<_, String>(()) }),
        Check::new("redis", || async { true }),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"].as_object().unwrap().len(), 2);
    assert_entry(&body["checks"]["database"], true, None);
    assert_entry(&body["checks"]["redis"], true, None);
    // Exactly the reference article's keys for a healthy entry.
    let keys: Vec<_> = body["checks"]["redis"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["healthy", "latency_ms"]);
}

#[tokio::test]
async fn readiness_is_not_ready_when_a_critical_check_fails() {
    let health = health([
        Check::new("database", || async { Err::<(), _>("connection refused") }),
        Check::new("redis", || async { true }),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "not_ready");
    assert_entry(
        &body["checks"]["database"],
        false,
        Some("connection refused"),
    );
    assert_entry(&body["checks"]["redis"], true, None);
}

#[tokio::test]
async fn a_failing_non_critical_check_degrades_but_stays_200() {
    let health = health([
        Check::new("search", || async { false }).critical(false),
        Check::new("database", || async { true }),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["search"]["healthy"], false);
    assert_eq!(body["checks"]["search"]["critical"], false);
    assert_eq!(body["checks"]["search"]["error"], "check returned false");
}

#[tokio::test]
async fn a_degraded_outcome_degrades_the_report() {
    let health = health([Check::new("replica", || async {
        CheckOutcome::degraded("replica lag 12s").with_detail("lag_s", 12)
    })]);
    let server = serve(&health).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "degraded");
    let entry = &body["checks"]["replica"];
    assert_eq!(entry["healthy"], true);
    assert_eq!(entry["degraded"], true);
    assert_eq!(entry["error"], "replica lag 12s");
    assert_eq!(entry["details"]["lag_s"], 12);
}

#[tokio::test]
async fn a_hung_check_reports_its_timeout_instead_of_hanging() {
    let health = health([
        Check::new("hung", std::future::pending::<()>).timeout(Duration::from_millis(200)),
        Check::new("fast", || async { true }),
    ]);
    let server = serve(&health).await;

    let started = Instant::now();
    let response = server.get("/health/ready").await;
    // A bound on hanging, not a speed assertion: the report must come back.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_entry(&body["checks"]["hung"], false, Some("Timeout after 200ms"));
    assert!(body["checks"]["hung"]["latency_ms"].as_f64().unwrap() >= 200.0);
    assert_entry(&body["checks"]["fast"], true, None);
}

#[tokio::test]
async fn a_panicking_check_is_unhealthy_and_the_server_keeps_serving() {
    let health = health([Check::new("flaky", || async {
        if true {
            panic!("index out of bounds");
        }
    })]);
    let server = serve(&health).await;

    for _ in 0..2 {
        let response = server.get("/health/ready").await;
        assert_eq!(response.status, 503);
        let body = response.json();
        assert_entry(
            &body["checks"]["flaky"],
            false,
            Some("check panicked: index out of bounds"),
        );
    }
    assert_eq!(server.get("/health").await.status, 200);
}

struct PgPool;
struct ConnectionManager;

#[health_check(name = "contract_postgres", timeout_ms = 2000)]
async fn contract_postgres(_pool: &PgPool) -> Result<(), std::io::Error> {
    Ok(())
}

#[health_check(name = "contract_two_resources")]
async fn contract_two_resources(_pool: &PgPool, _redis: &ConnectionManager) -> bool {
    true
}

#[tokio::test]
async fn a_missing_resource_reports_not_initialised_until_provided() {
    let health = Health::builder().without_registered().build().unwrap();
    let router: Router =
        health_routes!(health, checks = [contract_postgres, contract_two_resources]);
    let server = TestServer::start(router).await;

    let body = server.get("/health/ready").await.json();
    assert_eq!(body["status"], "not_ready");
    assert_entry(
        &body["checks"]["contract_postgres"],
        false,
        Some("PgPool not initialised"),
    );
    assert_entry(
        &body["checks"]["contract_two_resources"],
        false,
        Some("PgPool, ConnectionManager not initialised"),
    );

    health.provide(PgPool);
    let body = server.get("/health/ready").await.json();
    assert_entry(&body["checks"]["contract_postgres"], true, None);
    assert_entry(
        &body["checks"]["contract_two_resources"],
        false,
        Some("ConnectionManager not initialised"),
    );

    health.provide(ConnectionManager);
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "ready");

    health.remove::<PgPool>();
    assert_eq!(server.get("/health/ready").await.status, 503);
}

struct Model;

#[health_check(name = "contract_model", probe = ["startup", "readiness"])]
async fn contract_model(_model: &Model) -> bool {
    true
}

#[tokio::test]
async fn startup_latches_and_readiness_waits_for_it() {
    let health = Health::builder().without_registered().build().unwrap();
    let router: Router = health_routes!(health, checks = [contract_model]);
    let server = TestServer::start(router).await;

    let response = server.get("/health/started").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "starting");
    assert_eq!(body["detail"], "Service is still initialising");
    assert_entry(
        &body["checks"]["contract_model"],
        false,
        Some("Model not initialised"),
    );

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["detail"], "Service is still initialising");

    health.provide(Model);
    let response = server.get("/health/started").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "started");
    assert_eq!(server.get("/health/ready").await.status, 200);

    // Latched: losing the resource fails readiness, never startup.
    health.remove::<Model>();
    let response = server.get("/health/started").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, r#"{"status":"started"}"#);
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.json()["status"], "not_ready");
}

#[tokio::test]
async fn readiness_alone_can_complete_startup() {
    let ready = Arc::new(AtomicBool::new(false));
    let flag = ready.clone();
    let health = health([Check::new("warmup", move || {
        let ready = flag.load(Ordering::SeqCst);
        async move { ready }
    })
    .probes([Probe::Startup])]);
    let server = serve(&health).await;

    assert_eq!(server.get("/health/ready").await.status, 503);
    ready.store(true, Ordering::SeqCst);
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, r#"{"status":"ready","checks":{}}"#);
    assert_eq!(
        server.get("/health/started").await.body,
        r#"{"status":"started"}"#
    );
}

#[tokio::test]
async fn single_check_endpoints() {
    let health = health([
        Check::new("up", || async { true }),
        Check::new("down", || async { Err::<(), _>("refused") }).critical(false),
        Check::new("boot", || async { true }).probes(Probe::Startup),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health/ready/up").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"].as_object().unwrap().len(), 1);
    assert_entry(&body["checks"]["up"], true, None);

    // 503 for a failing check even when it is not critical: the caller asked about it.
    let response = server.get("/health/ready/down").await;
    assert_eq!(response.status, 503);
    assert_entry(&response.json()["checks"]["down"], false, Some("refused"));

    let response = server.get("/health/started/boot").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "started");

    let response = server.get("/health/ready/nope").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let error = response.json()["error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("no health check named `nope`"), "{error}");

    let response = server.get("/health/started/up").await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json()["error"],
        "health check `up` does not run in startup; it runs in: readiness"
    );
}

#[tokio::test]
async fn exclude_skips_checks_and_rejects_unknown_names() {
    let health = health([
        Check::new("database", || async { false }),
        Check::new("redis", || async { true }),
        Check::new("openai", || async { true }),
    ]);
    let server = serve(&health).await;

    let response = server.get("/health/ready?exclude=database").await;
    assert_eq!(response.status, 200);
    let checks = response.json()["checks"].as_object().unwrap().clone();
    assert_eq!(checks.keys().collect::<Vec<_>>(), ["openai", "redis"]);

    let response = server
        .get("/health/ready?exclude=database,openai&exclude=redis")
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["checks"], json!({}));

    let response = server.get("/health/ready?exclude=databse").await;
    assert_eq!(response.status, 400);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json()["error"],
        "unknown check `databse` in `exclude`; the checks are: database, openai, redis"
    );

    let response = server.get("/health/ready?exclude=redis,,openai").await;
    assert_eq!(response.status, 400);
    assert!(
        response.json()["error"]
            .as_str()
            .unwrap()
            .contains("empty check name")
    );
}

#[tokio::test]
async fn shutdown_flips_readiness_at_once_and_keeps_liveness() {
    let health = health([Check::new("database", || async { true })]);
    let server = serve(&health).await;
    assert_eq!(server.get("/health/ready").await.status, 200);

    health.begin_shutdown();
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.body, r#"{"status":"shutting_down"}"#);
    let response = server.get("/health").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, r#"{"status":"alive"}"#);
}

#[tokio::test]
async fn custom_paths_and_the_global_handle() {
    let router: Router = health_routes!(
        liveness = "/livez",
        readiness = "/readyz",
        startup = "/startupz",
        checks = [contract_postgres]
    );
    let server = TestServer::start(router).await;
    assert_eq!(server.get("/livez").await.status, 200);
    let body = server.get("/readyz").await.json();
    assert_eq!(
        body["checks"]["contract_postgres"]["error"],
        "PgPool not initialised"
    );
    assert_eq!(server.get("/startupz").await.status, 200);
    assert_eq!(server.get("/readyz/contract_postgres").await.status, 503);
    assert_eq!(server.get("/health").await.status, 404);

    Health::global().provide(PgPool);
    assert_eq!(server.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn tag_filters_and_group_routes() {
    let health = health([
        Check::new("primary", || async { true }).tags(["db"]),
        Check::new("replica", || async { false }).tags(["db", "replica"]),
        Check::new("cache", || async { true }).tags(["cache"]),
    ]);
    let router: Router = health.router_with(
        RouteOptions::new()
            .tags(["db", "cache"])
            .group("/health/db", ["db"])
            .group("/health/cache", ["cache"]),
    );
    let server = TestServer::start(router).await;

    let body = server.get("/health/db").await.json();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(
        body["checks"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["primary", "replica"]
    );
    let response = server.get("/health/cache").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json()["checks"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["cache"]
    );

    let cache_only: Router = health.router_with(RouteOptions::new().tags(["cache"]));
    let server = TestServer::start(cache_only).await;
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json()["checks"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["cache"]
    );
}

#[test]
fn a_duplicate_name_names_both_definitions() {
    let error = Health::builder()
        .without_registered()
        .check(Check::new("redis", || async {}))
        .check(Check::new("redis", || async {}))
        .build()
        .unwrap_err();
    let ConfigError::DuplicateName {
        name,
        first,
        second,
    } = &error
    else {
        panic!("expected a duplicate name error, got {error:?}");
    };
    assert_eq!(name, "redis");
    assert!(
        first.starts_with("tests/tests/http_contract.rs:"),
        "{first}"
    );
    assert!(
        second.starts_with("tests/tests/http_contract.rs:"),
        "{second}"
    );
    assert_ne!(first, second);
    assert!(error.to_string().contains(first.as_str()));
}

#[test]
fn builder_checks_are_validated() {
    let error = Health::builder()
        .check(Check::new("Bad Name", || async {}))
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::InvalidName { .. }), "{error}");
    let error = Health::builder()
        .check(Check::new("slow", || async {}).timeout(Duration::from_secs(241)))
        .build()
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::InvalidTimeout { .. }),
        "{error}"
    );
    let error = Health::new()
        .try_router_with::<()>(RouteOptions::new().readiness_path("/health"))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid health route path `/health`: two probes cannot share a path"
    );
}

#[test]
fn a_ttl_for_an_unknown_check_is_an_error() {
    let error = Health::builder()
        .without_registered()
        .check(Check::new("redis", || async {}))
        .cache_ttl_for("rdis", Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`cache_ttl_for` names the health check `rdis`, but there is none; the checks are: redis"
    );
}
