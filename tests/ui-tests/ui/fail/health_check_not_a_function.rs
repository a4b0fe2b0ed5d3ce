use health_runtime::health_check;

#[health_check]
struct Postgres;

fn main() {}
