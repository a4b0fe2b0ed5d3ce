//! Probe semantics, independent of any transport: the three probes, the startup latch,
//! the readiness gate, shutdown, the application's own availability, and the aggregation
//! of check results into a report. HTTP and gRPC only render what this layer decides.
//!
//! [`Probe`] and [`ProbeSet`] themselves are defined with the configuration rules
//! ([`health_rules`](crate::rules)), on the ground floor, since a check names the probes it
//! runs in and the macros check those names; this layer gives them their meaning.

mod availability;
mod beacon;
mod lifecycle;
mod prober;
pub(crate) mod report;
mod state;

pub(crate) use report::{Report, ReportStatus};

pub use beacon::ShutdownGuard;
pub use health_rules::{Probe, ProbeSet, UnknownProbe};

pub(crate) use availability::Availability;
#[cfg(feature = "grpc")]
pub(crate) use availability::Changes;
pub(crate) use beacon::Beacons;
pub(crate) use lifecycle::Lifecycle;
pub(crate) use prober::{Exclusions, Prober, Scope, Stamp, Unresolved};
pub(crate) use state::{HealthState, ReuseSettings};
