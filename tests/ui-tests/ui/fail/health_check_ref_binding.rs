use health_runtime::health_check;

struct PgPool;

#[health_check]
async fn postgres(ref pool: &PgPool) {
    let _ = pool;
}

fn main() {}
