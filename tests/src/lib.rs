//! Test support shared by the integration tests: a real listening server for a router and
//! a client that opens a fresh connection per request, as the kubelet does.

pub mod fault_proxy;
pub mod http;
#[cfg(feature = "deploy")]
pub mod kubelet;
#[cfg(feature = "deploy")]
pub mod manifests;
pub mod postgres_server;
pub mod probe;
pub mod process;
pub mod redis_server;
