use std::borrow::Cow;

use health_runtime::health_check;

#[health_check]
async fn region(region: &Cow<'_, str>) -> bool {
    !region.is_empty()
}

fn main() {}
