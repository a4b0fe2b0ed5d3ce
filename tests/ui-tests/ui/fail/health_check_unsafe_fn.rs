use health_runtime::health_check;

#[health_check]
async unsafe fn ready() -> bool {
    true
}

fn main() {}
