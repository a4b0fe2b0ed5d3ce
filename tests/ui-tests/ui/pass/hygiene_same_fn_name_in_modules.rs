//! Two check functions with one name in different modules are two checks, each listable.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_routes};

mod primary {
    #[health_runtime::health_check(name = "primary")]
    pub async fn ping() {}
}

mod replica {
    #[health_runtime::health_check(name = "replica")]
    pub async fn ping() {}
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health, checks = [primary::ping]), &["primary"]);
    serve::assert_ready(health_routes!(health, checks = [replica::ping]), &["replica"]);
    serve::assert_ready(health_routes!(health), &["primary", "replica"]);
}
