use health_runtime::health_check;

#[health_check]
async fn queue_depth() -> u32 {
    3
}

fn main() {}
