//! An `async fn` without `#[health_check]` in `checks = [...]` compiles (its type cannot
//! tell), and building the router says which function it is and what to add.

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn annotated() {}

mod db {
    pub async fn plain(_pool: &String) -> bool {
        true
    }
}

fn main() {
    let health = Health::new();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _router: axum::Router = health_routes!(health, checks = [annotated, db::plain]);
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.starts_with("`db::plain` (`"), "{message}");
    assert!(
        message.ends_with(
            "::db::plain`) is listed in `health_routes!(checks = [...])` but is not a health \
             check: add `#[health_check]` to the `async fn`"
        ),
        "{message}"
    );
}
