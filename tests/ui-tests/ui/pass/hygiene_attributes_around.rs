//! Doc comments and other attributes around `#[health_check]`, above and below it.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

/// Checks the scratch directory.
#[inline]
#[health_check(timeout_ms = 500, critical = false)]
/// Below the attribute too.
#[allow(clippy::needless_return)]
#[must_use]
#[doc(alias = "disk")]
pub async fn scratch() -> bool {
    return true;
}

#[allow(unused_variables)]
#[health_check]
#[allow(clippy::let_and_return)]
async fn documented() -> bool {
    let unused = 1;
    true
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health), &["documented", "scratch"]);
}
