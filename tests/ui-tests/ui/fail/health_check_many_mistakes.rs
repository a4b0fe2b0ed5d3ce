// Several unrelated mistakes in one check: every one is reported in the same pass.
use health_runtime::health_check;

struct PgPool;

#[health_check(name = "Postgres", timout_ms = 2000, probe = ["ready", "startup"], critical = 1, tags = ["DB"])]
fn postgres<T>(pool: PgPool, other: &mut T) -> bool {
    let _ = (pool, other);
    true
}

fn main() {}
