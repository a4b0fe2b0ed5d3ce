//! The static registry of `#[health_check]` functions, gathered by the linker.

use crate::{Check, StaticCheck};

/// Every `#[health_check]` linked into the binary.
#[linkme::distributed_slice]
pub static HEALTH_CHECKS: [StaticCheck];

/// Implemented by the hidden type `#[health_check]` declares under the function's name, so
/// that `health_routes!(checks = [path::to::check_fn])` can name a check by its function.
///
/// ```
/// use health_runtime::{Health, RegisteredCheck, RouteOptions, health_check};
///
/// #[health_check]
/// async fn registry_example() {}
///
/// let options = RouteOptions::new().only([<registry_example as RegisteredCheck>::descriptor()]);
/// let app: axum::Router = Health::new().router_with(options);
/// # let _ = app;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[health_check]` function",
    label = "not a `#[health_check]` function",
    note = "`health_routes!(checks = [...])` lists functions annotated with `#[health_check]`, by name or path, like `checks = [postgres, checks::redis]`"
)]
pub trait RegisteredCheck {
    /// The check's descriptor.
    fn descriptor() -> &'static StaticCheck;
}

pub(crate) fn registered_checks() -> impl Iterator<Item = Check> {
    HEALTH_CHECKS.iter().map(Check::from_static)
}
