//! What operators look back on: for each check, its last results (bounded), its
//! transitions with their time and error, and its uptime over that window.
//!
//! Every run of a check is recorded where the run ends (once per run, not per request: a
//! cached or shared result is not recorded again), as one push into a ring allocated up
//! front, so recording allocates nothing. Errors are the reports' own, redacted before they
//! get here. [`HealthBuilder::history`](crate::HealthBuilder::history) sets how many
//! results each check keeps (default [`DEFAULT_CAPACITY`]); the routers serve the whole
//! history as JSON at `/health/history`, under the same
//! [`DetailsPolicy`](crate::DetailsPolicy) as the reports.
//!
//! ```
//! use health_runtime::{Check, CheckStatus, Health};
//! use health_runtime::check::Resources;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let health = Health::builder()
//!     .without_registered()
//!     .check(Check::new("disk", || async { true }))
//!     .history(64)
//!     .build()
//!     .unwrap();
//! let app: axum::Router = health.router(); // runs checks as probes arrive
//! # let _ = app;
//! let history = health.history().expect("history is on");
//! assert_eq!(history.capacity(), 64);
//! let disk = history.check("disk").unwrap();
//! assert!(disk.entries().is_empty()); // nothing ran yet
//! assert_eq!(disk.uptime(), None);
//! # }
//! ```

mod check;
mod json;
mod registry;
mod ring;

pub use check::{CheckHistory, Entry, RanBy, Transition};
pub(crate) use json::Timestamp;
#[cfg(feature = "ui")]
pub(crate) use json::milliseconds;
pub use registry::{DEFAULT_CAPACITY, History};
