//! gRPC health: the standard `grpc.health.v1.Health` service (`Check`, `Watch`, `List`)
//! served by tonic from the same checks, cached results, runs in flight, gates and
//! shutdown as the HTTP routes. It renders what the probe layer decides: `SERVING` where
//! HTTP answers 200, `NOT_SERVING` where it answers 503.
//!
//! ```no_run,standalone_crate
//! use health_runtime::{Health, health_check};
//!
//! #[health_check(name = "model", probe = ["startup", "readiness"])]
//! async fn model() -> bool {
//!     true
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), tonic::transport::Error> {
//!     let health = Health::new();
//!     tonic::transport::Server::builder()
//!         .add_service(health.grpc())
//!         .serve_with_shutdown("127.0.0.1:50051".parse().unwrap(), health.shutdown_signal())
//!         .await
//! }
//! ```
//!
//! `grpc_health_probe -addr=127.0.0.1:50051` then asks readiness (service `""`), and a
//! Kubernetes probe `grpc: {port: 50051, service: liveness}` asks liveness. See
//! [`HealthService`] for every service name and the `Watch` stream.

mod names;
pub mod pb;
mod routes;
mod service;
mod status;
mod watch;

pub use service::HealthService;
