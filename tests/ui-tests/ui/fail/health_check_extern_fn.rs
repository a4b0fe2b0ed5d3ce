use health_runtime::health_check;

#[health_check]
extern "C" fn ready() -> bool {
    true
}

fn main() {}
