//! Test support shared by the integration tests: a real listening server for a router, a
//! client that opens a fresh connection per request as the kubelet does, private servers
//! the tests may break, and the fault matrix every built-in check goes through.

pub mod capture;
pub mod daemon;
pub mod dependency;
#[cfg(feature = "builtins")]
pub mod entra_server;
pub mod example;
pub mod fault_matrix;
pub mod fault_proxy;
pub mod http;
#[cfg(feature = "deploy")]
pub mod kubelet;
#[cfg(feature = "deploy")]
pub mod manifests;
pub mod mariadb_server;
pub mod mosquitto_server;
pub mod nats_server;
#[cfg(feature = "builtins")]
pub mod openai_server;
pub mod postgres_server;
pub mod probe;
pub mod process;
pub mod rabbitmq_server;
pub mod redis_server;
pub mod registration;
pub mod secrets;
#[cfg(feature = "builtins")]
pub mod servicebus_peer;
#[cfg(feature = "builtins")]
pub mod tls_server;
