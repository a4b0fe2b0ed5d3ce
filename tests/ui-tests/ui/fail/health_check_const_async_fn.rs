use health_runtime::health_check;

#[health_check]
const async fn ready() -> bool {
    true
}

fn main() {}
