//! `health_routes!()` and `health_routes!(options...)` without a handle serve the
//! process-wide `Health::global()`: what is provided to it is what the checks see.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

struct Model;

#[health_check]
async fn model(_model: &Model) {}

#[health_check(tags = ["local"])]
async fn disk() {}

fn main() {
    let app = serve::Server::new(health_routes!());
    let (status, body) = app.get("/health/ready");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["model"]["error"], "Model not initialised");

    // Provided to the global handle, seen by the router built before.
    Health::global().provide(Model);
    app.assert_ready(&["disk", "model"]);

    serve::assert_ready(health_routes!(checks = [model]), &["model"]);
    serve::assert_ready(health_routes!(tags = ["local"]), &["disk"]);

    // A handle of its own sees nothing provided to the global one.
    let own = serve::Server::new(health_routes!(Health::new(), checks = [model]));
    assert_eq!(own.get("/health/ready").0, 503);
}
