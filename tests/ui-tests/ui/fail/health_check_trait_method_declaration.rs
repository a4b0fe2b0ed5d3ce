// A trait method declaration has no body to run.
use health_runtime::health_check;

trait Checks {
    #[health_check]
    async fn ping();
}

fn main() {}
