use health_runtime::health_check;

#[health_check]
async fn version() -> String {
    "1.2.3".to_owned()
}

fn main() {}
