//! `health_routes!` with no handle, a handle, and every option.

use health_runtime::{health_check, health_routes, Health};

#[health_check(tags = ["db"])]
async fn postgres() {}

#[health_check(tags = ["cache"], critical = false)]
async fn redis() {}

mod checks {
    #[health_runtime::health_check]
    pub async fn model() {}
}

#[derive(Clone)]
struct AppState;

fn handle() -> Health {
    Health::new()
}

fn main() {
    // The process-wide handle.
    let _global: axum::Router = health_routes!();

    // Any expression giving a `Health`: a variable, a reference, a call.
    let health = Health::new();
    let _by_value: axum::Router = health_routes!(health);
    let by_ref = &health;
    let _by_ref: axum::Router = health_routes!(by_ref);
    let _by_call: axum::Router = health_routes!(handle());

    // Every option, in any order, with a trailing comma.
    let _all: axum::Router = health_routes!(
        health,
        liveness = "/livez",
        readiness = "/readyz",
        startup = "/startupz",
        checks = [postgres, redis, checks::model],
        tags = ["db", "cache"],
    );
    let _some: axum::Router = health_routes!(health, tags = ["db"], readiness = "/ready");

    // Options without a handle use the process-wide one.
    let _global_options: axum::Router = health_routes!(checks = [postgres]);

    // A default path may be reused once its own probe has moved, and a probe without
    // single-check routes (liveness) may have the others under it.
    let _swapped: axum::Router = health_routes!(
        health,
        liveness = "/live",
        readiness = "/health",
        startup = "/started",
    );
    let _nested: axum::Router = health_routes!(health, liveness = "/", readiness = "/ready");

    // The router merges into an app router of any state.
    let _app: axum::Router<AppState> = axum::Router::new()
        .merge(health_routes!(health))
        .nest("/cache", health_routes!(health, checks = [redis]));
    let _app: axum::Router = axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello" }))
        .merge(health_routes!(health))
        .with_state(AppState);
}
