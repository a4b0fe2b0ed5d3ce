use health_runtime::health_check;

#[health_check]
fn not_async() -> bool {
    true
}

fn main() {}
