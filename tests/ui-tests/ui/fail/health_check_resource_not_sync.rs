use std::cell::RefCell;

use health_runtime::health_check;

#[health_check]
async fn counter(counter: &RefCell<u32>) -> bool {
    *counter.borrow() < 10
}

fn main() {}
