// An associated function in an `impl` block is not a free function.
use health_runtime::health_check;

struct Pool;

impl Pool {
    #[health_check]
    async fn ping() {}
}

fn main() {}
