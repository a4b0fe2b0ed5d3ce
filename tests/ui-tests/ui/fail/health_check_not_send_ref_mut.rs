use std::cell::RefCell;

use health_runtime::health_check;

async fn refresh() {}

#[health_check]
async fn counter() -> bool {
    let cell = RefCell::new(0);
    let mut count = cell.borrow_mut();
    refresh().await;
    *count += 1;
    *count < 10
}

fn main() {}
