use health_runtime::health_check;

#[health_check]
async fn region(name: &str) -> bool {
    !name.is_empty()
}

fn main() {}
