//! Check functions named like a module in scope: the module keeps its name in the type
//! namespace, the function in the value namespace, and the body uses both.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

mod postgres {
    pub const QUERY: &str = "SELECT 1";
}

mod cache {
    pub fn ttl_seconds() -> u64 {
        30
    }
}

#[health_check]
async fn postgres() -> bool {
    postgres::QUERY == "SELECT 1"
}

#[health_check(timeout_ms = 500)]
async fn cache() -> bool {
    cache::ttl_seconds() == 30
}

fn main() {
    let health = Health::new();
    serve::assert_ready(health_routes!(health), &["cache", "postgres"]);
    serve::assert_ready(health_routes!(health, checks = [postgres]), &["postgres"]);
    serve::assert_ready(health_routes!(health, checks = [cache]), &["cache"]);
}
