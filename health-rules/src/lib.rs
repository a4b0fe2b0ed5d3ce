//! The rules a health check's configuration obeys: check names and tags, timeouts, the
//! probes ([`Probe`]), failure and success thresholds, route paths, and the defaults.
//!
//! `#[health_check]` and `health_routes!` apply them at compile time; `health-runtime`
//! applies them to checks and routes built without macros. Both depend on this crate, so
//! a name accepted by one is accepted by the other.
//!
//! ```
//! use health_rules::{validate_name, validate_path, validate_timeout_ms};
//!
//! assert!(validate_name("redis-cache.v2").is_ok());
//! assert_eq!(
//!     validate_name("Redis").unwrap_err().to_string(),
//!     "it contains `R`; use lowercase letters, digits, `_`, `.` and `-`"
//! );
//! assert!(validate_timeout_ms(2000).is_ok());
//! assert!(validate_timeout_ms(0).is_err());
//! assert!(validate_path("/health/ready").is_ok());
//! assert!(validate_path("/health/ready/").is_err());
//! ```

#![warn(missing_docs)]

mod name;
mod path;
mod probe;
mod threshold;
mod timeout;

pub use name::{MAX_NAME_LEN, NameError, is_name_char, validate_name};
pub use path::{
    DEFAULT_LIVENESS_PATH, DEFAULT_READINESS_PATH, DEFAULT_STARTUP_PATH, PathConflict, PathError,
    path_conflict, validate_path, validate_probe_path,
};
pub use probe::{
    DEFAULT_CRITICAL, DEFAULT_PROBE, PROBES, Probe, ProbeSet, UnknownProbe, has_single_check_routes,
};
pub use threshold::{DEFAULT_THRESHOLD, MAX_THRESHOLD, ThresholdError, validate_threshold};
pub use timeout::{
    DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, TimeoutError, validate_timeout_ms,
};
