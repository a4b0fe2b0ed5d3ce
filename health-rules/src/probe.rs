//! The probes, and what a check is when its attribute says nothing.

/// The probes a check can run in, as `#[health_check(probe = "...")]` spells them.
pub const PROBES: [&str; 3] = ["liveness", "readiness", "startup"];

/// The probe of a check that names none: readiness, so that a failing dependency takes the
/// instance out of rotation instead of restarting it.
pub const DEFAULT_PROBE: &str = "readiness";

/// Whether a check that does not say is critical: a failing critical check fails its
/// probe; a non-critical one only degrades the report.
pub const DEFAULT_CRITICAL: bool = true;

/// Whether the probe serves each of its checks at `{path}/{name}` as well as all of them at
/// `{path}`: readiness and startup do, liveness does not.
///
/// ```
/// assert!(health_rules::has_single_check_routes("readiness"));
/// assert!(!health_rules::has_single_check_routes("liveness"));
/// ```
pub fn has_single_check_routes(probe: &str) -> bool {
    matches!(probe, "readiness" | "startup")
}
