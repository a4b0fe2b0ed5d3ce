//! Test a [health-runtime](https://docs.rs/health-runtime) service the way Kubernetes runs
//! it: [`kubelet::Kubelet`] starts your own service binary as a pod and probes it exactly
//! as the kubelet does, with the probes the service generates for itself;
//! [`fault::FaultProxy`] puts a dependency behind a proxy you can take down, freeze or slow
//! down; [`traffic::Traffic`] sends requests through the pod's Service the way kube-proxy
//! routes them, and counts the ones that failed.
//!
//! So "a 30 s database outage gives 0 restarts" is a few lines:
//!
//! ```no_run
//! # async fn doc(postgres: std::net::SocketAddr) {
//! use std::time::Duration;
//! use health_runtime_testing::fault::{Fault, FaultProxy};
//! use health_runtime_testing::kubelet::{Event, Kubelet, Log};
//!
//! // `postgres`: a PostgreSQL server the test started on a free port.
//! let database = FaultProxy::start(postgres).await;
//! // In a test of your own crate: `env!("CARGO_BIN_EXE_my-service")`.
//! let pod = Kubelet::from_service("target/debug/my-service")
//!     .env("DATABASE_URL", format!("postgres://postgres@{}/test", database.addr()))
//!     .time_scale(Duration::from_millis(100)) // one manifest second lasts 100 ms
//!     .start();
//! pod.wait_for("ready", Duration::from_secs(60), Log::ever_ready).await;
//! database.set(Fault::Refuse);
//! pod.run_for(Duration::from_secs(3)).await; // 30 manifest seconds
//! database.set(Fault::None);
//! let log = pod.wait_for("back", Duration::from_secs(60), |log| {
//!     log.events().filter(|e| **e == Event::Endpoints(true)).count() == 2
//! }).await;
//! assert_eq!(log.restarts(), 0);
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod fault;
pub mod kubelet;
pub mod traffic;
