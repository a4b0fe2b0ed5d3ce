use health_runtime::health_check;

struct PgPool;

#[health_check]
async fn postgres(pool: &'static PgPool) {
    let _ = pool;
}

fn main() {}
