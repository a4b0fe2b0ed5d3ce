use health_runtime::health_routes;

fn main() {
    let _router: axum::Router = health_routes!(1);
}
