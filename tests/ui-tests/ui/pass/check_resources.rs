//! Resource parameters: shared references to provided values, looked up by type.

use std::collections::HashMap;
use std::sync::Arc;

use health_runtime::{health_check, health_routes, Health};

struct PgPool;
struct Redis;

mod clients {
    pub struct Http;
}

trait Model: Send + Sync {
    fn loaded(&self) -> bool;
}

#[health_check]
async fn one(pool: &PgPool) -> bool {
    let _ = pool;
    true
}

#[health_check]
async fn several(pool: &PgPool, redis: &Redis, http: &clients::Http) {
    let _ = (pool, redis, http);
}

/// The presence of the resource is the check.
#[health_check]
async fn present(_: &PgPool) {}

#[health_check]
async fn ignored(_pool: &PgPool) {}

#[health_check]
async fn generic_types(
    names: &Vec<String>,
    limits: &HashMap<String, u64>,
    model: &Arc<dyn Model>,
    pair: &(u8, bool),
    array: &[u8; 4],
) -> bool {
    !names.is_empty() && limits.len() < 10 && model.loaded() && pair.1 && array[0] == 0
}

/// A `std::sync::MutexGuard` dropped before the `.await` keeps the future `Send`.
#[health_check]
async fn guard_dropped(entries: &std::sync::Mutex<Vec<String>>) -> bool {
    let empty = entries.lock().unwrap().is_empty();
    tokio::task::yield_now().await;
    !empty
}

fn main() {
    let health = Health::new();
    health.provide(PgPool);
    health.provide(Redis);
    health.provide(clients::Http);
    let _router: axum::Router = health_routes!(health);
}
