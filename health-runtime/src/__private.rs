//! Items the macros' generated code names. Not public API: no stability promise.

pub use linkme;

pub use crate::check::{CheckFuture, StaticCheck};
pub use crate::outcome::IntoCheckOutcome;
pub use crate::probe::{Probe, ProbeSet};
pub use crate::registry::{HEALTH_CHECKS, RegisteredCheck};
pub use crate::resources::{ResourceLookup, Resources};
pub use crate::routes::RouteOptions;
pub use crate::{CheckOutcome, Health};

/// Boxes the future of one check run. Spanned at the user's function by the macro, so a
/// non-`Send` future is reported there.
pub fn box_check<F>(future: F) -> CheckFuture
where
    F: Future<Output = CheckOutcome> + Send + 'static,
{
    Box::pin(future)
}

/// Converts what the user's check returned. Spanned at the user's return type by the
/// macro, so an unsupported type is reported there.
pub fn into_outcome<T: IntoCheckOutcome>(value: T) -> CheckOutcome {
    value.into_check_outcome()
}

/// The router `health_routes!` expands to.
#[track_caller]
pub fn routes<S>(health: &Health, options: RouteOptions) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    health.router_with(options)
}
