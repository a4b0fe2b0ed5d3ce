use health_runtime::{health_routes, Health};

mod db {
    #[health_runtime::health_check]
    async fn postgres() {}
}

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health, checks = [db::postgres]);
}
