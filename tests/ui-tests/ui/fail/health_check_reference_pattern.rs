use health_runtime::health_check;

#[health_check]
async fn limit(&limit: &u32) -> bool {
    limit > 0
}

fn main() {}
