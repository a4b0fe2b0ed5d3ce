use health_runtime::health_check;

struct PgPool;

#[health_check]
async fn postgres(pool: std::sync::Arc<PgPool>) -> bool {
    let _ = pool;
    true
}

fn main() {}
