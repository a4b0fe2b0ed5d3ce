//! What a check is: its descriptor and builder, what a run concludes, the link-time
//! registry of `#[health_check]` functions, and the resources checks use.
//!
//! This layer knows nothing of running, probes or transports; everything above it builds
//! on these types.

mod assert;
mod builder;
mod outcome;
mod registry;
pub(crate) mod resources;

pub use builder::Check;
pub use outcome::{CheckFuture, CheckOutcome, CheckStatus, IntoCheckOutcome};
pub use resources::{ResourceLookup, Resources};

// What the macros' generated code asserts, named here so that the compiler prints the
// traits' short names in its errors; not API.
#[doc(hidden)]
pub use assert::{
    CheckFunction, ReportedDetails, ReportedError, ReturnedResult, SendFuture, SharedResource,
};

pub(crate) use builder::{ensure_unique, registered_checks};
pub(crate) use registry::find_registered;

/// What the macros' generated code names, re-exported by `__private`.
pub(crate) mod generated {
    pub use super::registry::{HEALTH_CHECKS, StaticCheck};
}
