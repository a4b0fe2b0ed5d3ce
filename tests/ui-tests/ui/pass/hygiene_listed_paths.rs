//! Every way of naming a check in `health_routes!(checks = [...])`: a bare name, a module
//! path, `crate::`, `self::`, `super::`, an import (renamed or not), a re-export.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[health_check]
async fn bare() {}

mod db {
    use health_runtime::health_check;

    #[health_check]
    pub async fn postgres() {}

    #[health_check]
    pub async fn replica() {}

    #[health_check]
    pub(crate) async fn in_crate() {}

    pub mod nested {
        use health_runtime::{Health, health_check, health_routes};

        #[health_check]
        pub async fn deep() {}

        pub fn routes_from_here(health: &Health) -> axum::Router {
            health_routes!(health, checks = [self::deep, super::replica, super::postgres])
        }
    }
}

mod facade {
    pub use crate::db::nested::deep as reexported;
}

use db::postgres as primary;
use db::replica;

fn main() {
    let health = Health::new();
    let only = |router, names: &[&str]| serve::assert_ready(router, names);
    only(health_routes!(health, checks = [bare]), &["bare"]);
    only(health_routes!(health, checks = [db::postgres]), &["postgres"]);
    only(health_routes!(health, checks = [crate::db::in_crate]), &["in_crate"]);
    only(health_routes!(health, checks = [self::bare]), &["bare"]);
    only(health_routes!(health, checks = [primary, replica]), &["postgres", "replica"]);
    only(health_routes!(health, checks = [facade::reexported]), &["deep"]);
    only(db::nested::routes_from_here(&health), &["deep", "postgres", "replica"]);
    // One function under two names is one check.
    only(health_routes!(health, checks = [primary, db::postgres]), &["postgres"]);
}
