// A trait's default method is not a free function.
use health_runtime::health_check;

trait Checks {
    #[health_check]
    async fn ping() {}
}

fn main() {}
