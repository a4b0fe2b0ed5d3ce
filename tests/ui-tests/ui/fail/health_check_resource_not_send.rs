// A resource shared across threads must be `Send` too: the check's future holds it.
use std::marker::PhantomData;

use health_runtime::health_check;

struct OnlySync(PhantomData<*const ()>);
unsafe impl Sync for OnlySync {}

#[health_check]
async fn pinned(resource: &OnlySync) {
    let _ = resource;
}

fn main() {}
