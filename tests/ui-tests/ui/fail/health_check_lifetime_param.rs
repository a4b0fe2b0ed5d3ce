use health_runtime::health_check;

struct PgPool;

#[health_check]
async fn postgres<'a>(pool: &'a PgPool) -> bool {
    let _ = pool;
    true
}

fn main() {}
