use health_runtime::health_routes;

fn main() {
    let health = String::from("health");
    let _router: axum::Router = health_routes!(health);
}
