//! Where a check may be declared, as the macro reads its file: a free function inside the
//! body of a method is free, and two checks of one name behind opposite `#[cfg]`s are not
//! a duplicate, since only one of them is compiled.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

struct Pool;

impl Pool {
    // `impl Pool {` is not where the check is: it is in the body below.
    fn checks() {
        #[health_check(name = "inner")]
        async fn inner() {}
    }
}

#[cfg(unix)]
#[health_check(name = "db")]
async fn postgres() {}

#[cfg(not(unix))]
#[health_check(name = "db")]
async fn sqlite() {}

fn main() {
    Pool::checks();
    serve::assert_ready(health_routes!(Health::new()), &["db", "inner"]);
}
