use std::future::Future;

use health_runtime::health_check;

#[health_check]
fn ready() -> impl Future<Output = bool> {
    async { true }
}

fn main() {}
