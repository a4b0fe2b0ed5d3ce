use health_runtime::health_check;

trait Cache {}

#[health_check]
async fn cache(cache: &dyn Cache) {
    let _ = cache;
}

fn main() {}
