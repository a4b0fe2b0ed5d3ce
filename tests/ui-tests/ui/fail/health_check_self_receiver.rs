use health_runtime::health_check;

struct Database;

impl Database {
    #[health_check]
    async fn ping(&self) -> bool {
        true
    }
}

fn main() {}
