//! Production behaviour through a real listening server: result reuse against probe
//! storms, details policy, the IETF format, hostile input, and status-transition logging.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use health_runtime::redact::MAX_ERROR_LEN;
use health_runtime::{Check, DetailsPolicy, Health, HealthBuilder, Probe};
use serde_json::json;
use tests::http::TestServer;
use tests::secrets::{PROBE_TOKEN, WRONG_PROBE_TOKEN};

/// Counts runs of a check, and the most runs ever in flight at once.
#[derive(Default)]
struct RunCounter {
    runs: AtomicUsize,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
}

impl RunCounter {
    fn check(self: &Arc<Self>, name: &'static str, work: Duration) -> Check {
        let counter = self.clone();
        Check::new(name, move || {
            let counter = counter.clone();
            async move {
                counter.runs.fetch_add(1, Ordering::SeqCst);
                let now = counter.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                counter.peak_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(work).await;
                counter.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
        })
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

/// One replica without an identity (phase 0: first runs at once, a first TTL unshortened
/// by a phase), whatever `HOSTNAME` the machine running the tests exports.
fn builder() -> HealthBuilder {
    Health::builder().without_registered().replica_identity("")
}

#[tokio::test]
async fn concurrent_requests_share_one_run_in_flight() {
    let counter = Arc::new(RunCounter::default());
    let health = builder()
        .check(counter.check("database", Duration::from_millis(300)))
        .build()
        .unwrap();
    let server = Arc::new(TestServer::start(health.router()).await);

    let requests: Vec<_> = (0..40)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move { server.get("/health/ready").await })
        })
        .collect();
    for request in requests {
        let response = request.await.unwrap();
        assert_eq!(response.status, 200);
        // Without a TTL, results are never served again, so no age is shown.
        assert!(
            response.json()["checks"]["database"]
                .get("age_ms")
                .is_none()
        );
    }
    assert_eq!(counter.peak_in_flight.load(Ordering::SeqCst), 1);
    assert!(
        counter.runs() < 40,
        "{} runs for 40 concurrent requests",
        counter.runs()
    );
}

#[tokio::test(start_paused = true)]
async fn a_ttl_serves_the_last_result_and_says_how_old_it_is() {
    let counter = Arc::new(RunCounter::default());
    let health = builder()
        .check(counter.check("database", Duration::from_millis(5)))
        .cache_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let first = server.get("/health/ready").await.json();
    assert_eq!(first["checks"]["database"]["age_ms"], 0.0);
    tokio::time::advance(Duration::from_millis(400)).await;
    let second = server.get("/health/ready").await.json();
    let age = second["checks"]["database"]["age_ms"].as_f64().unwrap();
    assert!((400.0..1000.0).contains(&age), "age {age}");
    assert_eq!(counter.runs(), 1);

    tokio::time::advance(Duration::from_millis(700)).await;
    let third = server.get("/health/ready").await.json();
    assert_eq!(third["checks"]["database"]["age_ms"], 0.0);
    assert_eq!(counter.runs(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_per_check_ttl_overrides_the_default() {
    let fast = Arc::new(RunCounter::default());
    let slow = Arc::new(RunCounter::default());
    let health = builder()
        .check(fast.check("redis", Duration::ZERO))
        .check(slow.check("openai", Duration::ZERO))
        .cache_ttl(Duration::from_millis(100))
        .cache_ttl_for("openai", Duration::from_secs(60))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    for _ in 0..5 {
        assert_eq!(server.get("/health/ready").await.status, 200);
        tokio::time::advance(Duration::from_millis(150)).await;
    }
    assert_eq!(fast.runs(), 5);
    assert_eq!(slow.runs(), 1);
}

/// A failing check counted in `runs`, healthy once `up` is set.
fn flag_check(name: &'static str, runs: &Arc<AtomicUsize>, up: &Arc<AtomicBool>) -> Check {
    let (runs, up) = (runs.clone(), up.clone());
    Check::new(name, move || {
        runs.fetch_add(1, Ordering::SeqCst);
        let up = up.load(Ordering::SeqCst);
        async move { if up { Ok(()) } else { Err("not yet") } }
    })
}

/// While it fails, a readiness-only check (a dependency) backs off: 1 s, 1 s, 2 s, 4 s. A
/// startup check keeps its period: a model that finished loading is seen within a period,
/// not after a backoff that could outlast the startup probe's budget.
#[tokio::test(start_paused = true)]
async fn only_a_dependency_backs_off_while_it_fails() {
    let (model_runs, database_runs) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let loaded = Arc::new(AtomicBool::new(false));
    let down = Arc::new(AtomicBool::new(false));
    let health = builder()
        .check(flag_check("model", &model_runs, &loaded).probes([Probe::Startup]))
        .check(flag_check("database", &database_runs, &down))
        .background(Duration::from_secs(1))
        .jitter(0.0)
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    tokio::time::sleep(Duration::from_millis(10_500)).await;
    // Runs at 0, 1, 2 … 10 s.
    assert_eq!(model_runs.load(Ordering::SeqCst), 11);
    // Runs at 0, 1, 3 and 7 s; the next at 11 s.
    assert_eq!(database_runs.load(Ordering::SeqCst), 4);

    loaded.store(true, Ordering::SeqCst);
    assert_eq!(server.get("/health/started").await.status, 503);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(server.get("/health/started").await.status, 200);
}

#[tokio::test]
async fn background_mode_runs_on_its_period_and_requests_do_no_io() {
    let counter = Arc::new(RunCounter::default());
    let health = builder()
        .check(counter.check("database", Duration::ZERO))
        .background(Duration::from_millis(200))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    // Let the first background run land.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let runs_before = counter.runs();
    assert!(runs_before >= 1);
    for _ in 0..50 {
        let body = server.get("/health/ready").await.json();
        assert_eq!(body["checks"]["database"]["healthy"], true);
        assert!(body["checks"]["database"]["age_ms"].as_f64().is_some());
    }
    let runs_after = counter.runs();
    assert!(
        runs_after - runs_before <= 2,
        "50 requests caused {} runs",
        runs_after - runs_before
    );

    // The background task keeps refreshing on its own.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(counter.runs() >= runs_after + 2, "background runs stopped");
}

#[tokio::test]
async fn background_results_follow_the_dependency() {
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let health = builder()
        .check(Check::new("database", move || {
            let up = flag.load(Ordering::SeqCst);
            async move { up }
        }))
        .background(Duration::from_millis(50))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.get("/health/ready").await.status, 200);

    up.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.get("/health/ready").await.status, 503);
}

#[tokio::test]
async fn status_only_policy_hides_every_detail() {
    let health = builder()
        .check(Check::new("database", || async {
            Err::<(), _>("cannot reach db-primary.internal:5432")
        }))
        .details(DetailsPolicy::StatusOnly)
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.body, r#"{"status":"not_ready"}"#);
    let response = server.get("/health/ready/database").await;
    assert_eq!(response.status, 503);
    assert_eq!(response.body, r#"{"status":"not_ready"}"#);
}

#[tokio::test]
async fn token_policy_shows_details_only_to_the_bearer() {
    let health = builder()
        .check(Check::new("database", || async { Err::<(), _>("refused") }))
        .details(DetailsPolicy::full_with_token(PROBE_TOKEN))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let anonymous = server.get("/health/ready").await;
    assert_eq!(anonymous.body, r#"{"status":"not_ready"}"#);
    let wrong = server
        .get_with(
            "/health/ready",
            &[("authorization", &format!("Bearer {WRONG_PROBE_TOKEN}"))],
        )
        .await;
    assert_eq!(wrong.body, r#"{"status":"not_ready"}"#);
    let bearer = server
        .get_with(
            "/health/ready",
            &[("authorization", &format!("Bearer {PROBE_TOKEN}"))],
        )
        .await;
    assert_eq!(bearer.status, 503);
    assert_eq!(bearer.json()["checks"]["database"]["error"], "refused");
}

#[tokio::test]
async fn health_json_renders_the_ietf_format() {
    let health = builder()
        .check(Check::new("database", || async { true }))
        .check(Check::new("search", || async { Err::<(), _>("index missing") }).critical(false))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let response = server
        .get_with("/health/ready", &[("accept", "application/health+json")])
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/health+json")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["status"], "warn");
    let database = &body["checks"]["database:responseTime"][0];
    assert_eq!(database["componentId"], "database");
    assert_eq!(database["status"], "pass");
    assert_eq!(database["observedUnit"], "ms");
    assert!(database["observedValue"].is_number());
    let time = database["time"].as_str().unwrap();
    assert!(time.len() == 24 && time.ends_with('Z'), "{time}");
    let search = &body["checks"]["search:responseTime"][0];
    assert_eq!(search["status"], "warn");
    assert_eq!(search["output"], "index missing");

    // A plain request still gets the reference article's format.
    let plain = server
        .get_with("/health/ready", &[("accept", "application/json")])
        .await;
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.json()["status"], "degraded");

    health.begin_shutdown();
    let response = server
        .get_with(
            "/health/ready",
            &[("accept", "text/html, application/health+json;q=0.9")],
        )
        .await;
    assert_eq!(response.status, 503);
    assert_eq!(
        response.json(),
        json!({"status": "fail", "description": "shutting_down"})
    );
}

#[tokio::test]
async fn hostile_requests_get_json_errors() {
    let health = builder()
        .check(Check::new("database", || async { true }))
        .build()
        .unwrap();
    let router: Router = Router::new()
        .route("/", axum::routing::get(|| async { "app" }))
        .merge(health.router());
    let server = TestServer::start(router).await;

    for (method, path) in [
        ("POST", "/health"),
        ("DELETE", "/health/ready"),
        ("PUT", "/health/started/database"),
    ] {
        let response = server.request(method, path).await;
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert!(response.json()["error"].is_string());
    }

    let response = server.get("/health/nope/deeper").await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json()["error"],
        "no health endpoint at `/health/nope/deeper`"
    );
    let response = server.get("/health/ready/database/extra").await;
    assert_eq!(response.status, 404);
    assert!(response.json()["error"].is_string());
    // The app's own routes are untouched.
    assert_eq!(server.get("/").await.body, "app");

    for query in [
        "exclude=",
        "exclude=%ZZ",
        "exclude=,",
        "exclude=database,%00",
    ] {
        let response = server.get(&format!("/health/ready?{query}")).await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert!(response.json()["error"].is_string(), "{query}");
    }
    let long = "x".repeat(10_000);
    let response = server.get(&format!("/health/ready?exclude={long}")).await;
    assert_eq!(response.status, 400);
    assert!(
        response.body.len() < 1024,
        "the error echoes the whole input"
    );
    // Unrelated parameters are ignored, as the kubelet never sends any.
    assert_eq!(server.get("/health/ready?verbose=1").await.status, 200);
    assert_eq!(server.request("HEAD", "/health/ready").await.status, 200);
}

#[tokio::test]
async fn an_enormous_error_is_capped() {
    let health = builder()
        .check(Check::new("chatty", || async {
            Err::<(), _>("e".repeat(1_000_000))
        }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 503);
    let error = response.json()["checks"]["chatty"]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.len() <= MAX_ERROR_LEN + '…'.len_utf8(),
        "{} bytes",
        error.len()
    );
    assert!(error.ends_with('…'));
    assert!(response.body.len() < 2 * MAX_ERROR_LEN);
}

#[test]
fn a_router_built_outside_a_runtime_starts_its_background_refresh_on_first_use() {
    let counter = Arc::new(RunCounter::default());
    let health = builder()
        .check(counter.check("database", Duration::ZERO))
        .background(Duration::from_millis(50))
        .build()
        .unwrap();
    // No runtime here: the router cannot spawn its refresh task yet.
    let router: Router = health.router();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = TestServer::start(router).await;
        assert_eq!(server.get("/health/ready").await.status, 200);
        let after_first = counter.runs();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            counter.runs() >= after_first + 3,
            "results were never refreshed: {} runs",
            counter.runs()
        );
    });
}
