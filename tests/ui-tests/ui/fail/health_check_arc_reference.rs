use std::sync::Arc;

use health_runtime::health_check;

struct PgPool;

#[health_check]
async fn postgres(pool: &Arc<PgPool>) -> bool {
    let _ = pool;
    true
}

fn main() {}
