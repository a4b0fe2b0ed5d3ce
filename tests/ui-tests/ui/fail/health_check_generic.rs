use health_runtime::health_check;

#[health_check]
async fn generic<T>(resource: &T) -> bool {
    let _ = resource;
    true
}

fn main() {}
