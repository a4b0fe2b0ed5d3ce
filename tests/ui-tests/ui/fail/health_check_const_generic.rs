use health_runtime::health_check;

#[health_check]
async fn replicas<const N: usize>() -> bool {
    N > 0
}

fn main() {}
