//! Every route of a probe obeys the probe's gates, through a real listening server:
//! single-check routes, tag groups and `?exclude=` answer 503 before startup and during
//! shutdown exactly as the probe route does; routers built from one handle share their
//! checks' runs; resources provided behind an `Arc` satisfy checks of the inner type.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use health_runtime::{
    Check, DetailsPolicy, Health, Probe, RouteOptions, health_check, health_routes,
};
use tests::http::TestServer;

/// A startup check that passes once `started` is set, and two readiness checks tagged
/// `db` and `cache` that always pass.
fn health(started: &Arc<AtomicBool>, policy: DetailsPolicy) -> Health {
    let started = Arc::clone(started);
    Health::builder()
        .without_registered()
        .check(
            Check::new("model", move || {
                let loaded = started.load(Ordering::SeqCst);
                async move { loaded }
            })
            .probes(Probe::Startup),
        )
        .check(Check::new("db", || async { true }).tags(["db"]))
        .check(Check::new("cache", || async { true }).tags(["cache"]))
        .details(policy)
        .build()
        .expect("valid checks")
}

async fn serve(health: &Health) -> TestServer {
    TestServer::start(health.router_with(RouteOptions::new().group("/health/db", ["db"]))).await
}

/// The readiness-like routes: each must answer like `/health/ready`.
const READINESS_ROUTES: [&str; 4] = [
    "/health/ready",
    "/health/ready/db",
    "/health/db",
    "/health/ready?exclude=cache",
];

async fn assert_status(server: &TestServer, path: &str, code: u16, status: &str) {
    let response = server.get(path).await;
    let body = response.json();
    assert_eq!(response.status, code, "{path}: {body}");
    assert_eq!(body["status"], status, "{path}: {body}");
}

#[tokio::test]
async fn readiness_routes_are_not_ready_before_startup() {
    let started = Arc::new(AtomicBool::new(false));
    let health = health(&started, DetailsPolicy::Full);
    let server = serve(&health).await;

    for path in READINESS_ROUTES {
        assert_status(&server, path, 503, "not_ready").await;
        let body = server.get(path).await.json();
        assert_eq!(body["detail"], "Service is still initialising", "{path}");
        // The answer shows why: the startup check, not the (healthy) check asked for.
        assert_eq!(body["checks"]["model"]["healthy"], false, "{path}: {body}");
    }
    assert_status(&server, "/health/started", 503, "starting").await;
    assert_status(&server, "/health/started/model", 503, "starting").await;
    assert_status(&server, "/health", 200, "alive").await;

    started.store(true, Ordering::SeqCst);
    for path in READINESS_ROUTES {
        assert_status(&server, path, 200, "ready").await;
    }
    assert_status(&server, "/health/started", 200, "started").await;
}

#[tokio::test]
async fn readiness_routes_are_shutting_down_during_shutdown() {
    let started = Arc::new(AtomicBool::new(true));
    let health = health(&started, DetailsPolicy::Full);
    let server = serve(&health).await;
    for path in READINESS_ROUTES {
        assert_status(&server, path, 200, "ready").await;
    }

    health.begin_shutdown();
    for path in READINESS_ROUTES {
        let response = server.get(path).await;
        assert_eq!(response.status, 503, "{path}");
        assert_eq!(response.body, r#"{"status":"shutting_down"}"#, "{path}");
    }
    assert_status(&server, "/health", 200, "alive").await;
    // A check that does not exist is still not found, not shutting down.
    assert_eq!(server.get("/health/ready/nope").await.status, 404);
}

#[tokio::test]
async fn a_latched_startup_answers_started_on_its_single_check_route() {
    let started = Arc::new(AtomicBool::new(true));
    let health = health(&started, DetailsPolicy::Full);
    let server = serve(&health).await;
    assert_status(&server, "/health/started", 200, "started").await;

    // Latched: the startup probe and its single-check route no longer run the check.
    started.store(false, Ordering::SeqCst);
    for path in ["/health/started", "/health/started/model"] {
        let response = server.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.body, r#"{"status":"started"}"#, "{path}");
    }
}

#[tokio::test]
async fn a_status_only_view_never_names_the_checks() {
    let started = Arc::new(AtomicBool::new(true));
    let health = health(&started, DetailsPolicy::StatusOnly);
    let server = serve(&health).await;

    let paths = [
        "/health/ready/nope",
        "/health/started/db",
        "/health/ready?exclude=nope",
        "/health/ready/db",
        "/health/ready",
        "/health/db",
    ];
    for path in paths {
        let response = server.get(path).await;
        let body = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        for name in ["model", "db", "cache"] {
            // `/health/started/db` and `/health/ready/db` name `db` in the request only.
            let echoed = path.ends_with(&format!("/{name}")) && body.contains(&format!("`{name}`"));
            assert!(
                echoed || !body.contains(name),
                "{path} names the check `{name}`: {body}"
            );
        }
    }
    let response = server.get("/health/ready/nope").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "no health check named `nope`");
    // A startup-only question about a readiness check reads like a missing check.
    let response = server.get("/health/started/db").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "no health check named `db`");
    let response = server.get("/health/ready?exclude=nope").await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["error"],
        "unknown check `nope` in `exclude`"
    );
}

#[tokio::test]
async fn a_full_view_lists_the_checks_in_its_errors() {
    let started = Arc::new(AtomicBool::new(true));
    let health = health(&started, DetailsPolicy::Full);
    let server = serve(&health).await;
    let response = server.get("/health/ready/nope").await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json()["error"],
        "no health check named `nope`; the checks are: cache, db, model"
    );
}

#[tokio::test]
async fn an_invalid_check_name_in_the_path_is_a_json_400() {
    let started = Arc::new(AtomicBool::new(true));
    let health = health(&started, DetailsPolicy::Full);
    let server = serve(&health).await;
    let response = server.get("/health/ready/%FF").await;
    assert_eq!(response.status, 400);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.json()["error"].is_string());
}

#[tokio::test]
async fn routers_of_one_handle_share_their_checks_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let health = Health::builder()
        .without_registered()
        .check(
            Check::new("counted", move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { true }
            })
            .tags(["db"]),
        )
        .cache_ttl(Duration::from_secs(60))
        .build()
        .expect("valid checks");
    let all = TestServer::start(health.router()).await;
    let tagged = TestServer::start(health.router_with(RouteOptions::new().tags(["db"]))).await;
    let renamed =
        TestServer::start(health.router_with(RouteOptions::new().readiness_path("/readyz"))).await;

    assert_eq!(all.get("/health/ready").await.status, 200);
    assert_eq!(tagged.get("/health/ready").await.status, 200);
    assert_eq!(renamed.get("/readyz").await.status, 200);
    assert_eq!(all.get("/health/ready/counted").await.status, 200);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "one run serves every router"
    );
}

struct Model(&'static str);

#[health_check(name = "arc_model")]
async fn arc_model(model: &Model) -> bool {
    !model.0.is_empty()
}

#[tokio::test]
async fn a_resource_provided_behind_an_arc_satisfies_its_checks() {
    let health = Health::builder()
        .without_registered()
        .check(Check::with_resource(
            "builder_model",
            |model: Arc<Model>| async move { !model.0.is_empty() },
        ))
        .build()
        .expect("valid checks");
    let router: Router = health_routes!(health, checks = [arc_model]);
    let server = TestServer::start(router).await;

    let body = server.get("/health/ready").await.json();
    assert_eq!(
        body["checks"]["arc_model"]["error"],
        "Model not initialised"
    );
    assert_eq!(
        body["checks"]["builder_model"]["error"],
        "Model not initialised"
    );

    health.provide(Arc::new(Model("minilm")));
    let response = server.get("/health/ready").await;
    assert_eq!(response.status, 200, "{}", response.json());
    assert_eq!(response.json()["checks"]["arc_model"]["healthy"], true);
    assert_eq!(response.json()["checks"]["builder_model"]["healthy"], true);

    // Whichever form was provided last is the one found; removing removes either form.
    health.provide(Model(""));
    assert_eq!(server.get("/health/ready").await.status, 503);
    health.provide(Arc::new(Model("e5")));
    assert_eq!(server.get("/health/ready").await.status, 200);
    health.remove::<Model>();
    assert_eq!(server.get("/health/ready").await.status, 503);
}
