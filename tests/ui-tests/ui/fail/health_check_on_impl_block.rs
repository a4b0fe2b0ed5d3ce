use health_runtime::health_check;

struct Pool;

#[health_check]
impl Pool {
    async fn ping(&self) {}
}

fn main() {}
