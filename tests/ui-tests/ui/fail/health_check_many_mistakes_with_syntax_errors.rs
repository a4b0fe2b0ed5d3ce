// Syntax slips and other mistakes in one attribute: each one is reported.
use health_runtime::health_check;

#[health_check(name: "redis", timout_ms = 5, probe = , tags = "db", critical = maybe)]
async fn cache() {}

fn main() {}
