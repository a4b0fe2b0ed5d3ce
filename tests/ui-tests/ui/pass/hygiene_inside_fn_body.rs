//! Checks declared inside a function body, listed and served from there.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

struct Queue {
    depth: usize,
}

fn main() {
    #[health_check]
    async fn queue(queue: &Queue) -> bool {
        queue.depth < 100
    }

    #[health_check(name = "inner-ping", tags = ["local"])]
    async fn ping() {}

    let health = Health::new();
    health.provide(Queue { depth: 3 });
    serve::assert_ready(health_routes!(health, checks = [queue, ping]), &["inner-ping", "queue"]);
    serve::assert_ready(health_routes!(health), &["inner-ping", "queue"]);
    serve::assert_ready(health_routes!(health, tags = ["local"]), &["inner-ping"]);
}
