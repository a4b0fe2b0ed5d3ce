use std::sync::Mutex;

use health_runtime::health_check;

struct Cache {
    entries: Mutex<Vec<String>>,
}

async fn refresh() {}

#[health_check]
async fn cache(cache: &Cache) -> bool {
    let entries = cache.entries.lock().unwrap();
    refresh().await;
    !entries.is_empty()
}

fn main() {}
