//! Check functions named with raw identifiers: the default name drops the `r#`.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn r#type() {}

#[health_check]
async fn r#match() -> bool {
    true
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [r#type, r#match]), &["match", "type"]);
}
