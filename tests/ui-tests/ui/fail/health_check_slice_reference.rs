use health_runtime::health_check;

#[health_check]
async fn replicas(urls: &[String]) -> bool {
    !urls.is_empty()
}

fn main() {}
