//! A library crate whose only content is a `#[health_check]`: a binary that depends on it
//! but never names it does not link it, so the check is not registered there.

use health_runtime::health_check;

/// Always healthy; what matters is whether it is registered.
#[health_check(name = "library_check")]
pub async fn library_check() {}
