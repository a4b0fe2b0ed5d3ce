// Two checks of one name in an inline module.
use health_runtime::health_check;

mod caches {
    use health_runtime::health_check;

    #[health_check(name = "redis")]
    pub async fn primary() {}

    #[health_check(name = "redis", timeout_ms = 500)]
    pub async fn replica() {}
}

#[health_check(name = "redis-session")]
async fn session() {}

fn main() {}
