// A function of a trait impl is not a free function either.
use health_runtime::health_check;

trait Ping {
    async fn ping() -> bool;
}

struct Pool;

impl Ping for Pool {
    #[health_check]
    async fn ping() -> bool {
        true
    }
}

fn main() {}
