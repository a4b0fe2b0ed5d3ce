//! The static registry of `#[health_check]` functions, gathered by the linker.

use std::any::TypeId;

use super::outcome::CheckFuture;
use super::resources::Resources;
use health_rules::ProbeSet;

/// The descriptor `#[health_check]` places in the link-time registry. Built only by the
/// macro's generated code.
#[derive(Debug)]
pub struct StaticCheck {
    #[doc(hidden)]
    pub name: &'static str,
    #[doc(hidden)]
    pub timeout_ms: u64,
    #[doc(hidden)]
    pub probes: ProbeSet,
    #[doc(hidden)]
    pub critical: bool,
    #[doc(hidden)]
    pub tags: &'static [&'static str],
    #[doc(hidden)]
    pub source: &'static str,
    #[doc(hidden)]
    pub failures: u32,
    #[doc(hidden)]
    pub successes: u32,
    #[doc(hidden)]
    pub run: fn(&Resources) -> CheckFuture,
    /// The type of the annotated function item, by which `health_routes!(checks = [f])`
    /// finds the check of `f` however `f` is named (a path, an import, a re-export).
    #[doc(hidden)]
    pub function: TypeId,
}

/// Every `#[health_check]` linked into the binary.
#[linkme::distributed_slice]
pub static HEALTH_CHECKS: [StaticCheck];

/// The check `#[health_check]` registered for the function item of type `function`.
pub(crate) fn find_registered(function: TypeId) -> Option<&'static StaticCheck> {
    HEALTH_CHECKS
        .iter()
        .find(|check| check.function == function)
}
