use health_runtime::health_check;

#[health_check]
async fn version() -> impl std::fmt::Display {
    "1.2.3"
}

fn main() {}
