use std::rc::Rc;

use health_runtime::health_check;

async fn ping() {}

#[health_check]
async fn holds_rc() -> bool {
    let counter = Rc::new(1);
    ping().await;
    *counter == 1
}

fn main() {}
