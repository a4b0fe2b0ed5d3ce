use health_runtime::health_check;

// Named `postgres` after its function.
#[health_check]
async fn postgres() {}

#[health_check(name = "postgres")]
async fn postgres_replica() {}

fn main() {}
