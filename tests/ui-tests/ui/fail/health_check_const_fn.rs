use health_runtime::health_check;

#[health_check]
const fn ready() -> bool {
    true
}

fn main() {}
