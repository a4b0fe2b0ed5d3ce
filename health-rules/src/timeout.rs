//! Check timeouts, in whole milliseconds.

use std::fmt;

/// The timeout of a check that does not set one, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;
/// The shortest timeout a check may have, in milliseconds.
pub const MIN_TIMEOUT_MS: u64 = 1;
/// The longest timeout a check may have, in milliseconds: 240 s is Azure Container Apps'
/// longest probe timeout, and a check slower than its probe can never pass.
pub const MAX_TIMEOUT_MS: u64 = 240_000;

/// A timeout outside [`MIN_TIMEOUT_MS`] ..= [`MAX_TIMEOUT_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutError {
    /// Shorter than 1 ms (a zero timeout would fail every run).
    TooShort,
    /// Longer than 240 s.
    TooLong,
}

/// Checks that `ms` milliseconds is a timeout a check may have.
///
/// ```
/// use health_rules::{TimeoutError, validate_timeout_ms};
///
/// assert_eq!(validate_timeout_ms(1000), Ok(()));
/// assert_eq!(validate_timeout_ms(0), Err(TimeoutError::TooShort));
/// assert_eq!(validate_timeout_ms(240_001), Err(TimeoutError::TooLong));
/// ```
pub fn validate_timeout_ms(ms: u128) -> Result<(), TimeoutError> {
    if ms < u128::from(MIN_TIMEOUT_MS) {
        Err(TimeoutError::TooShort)
    } else if ms > u128::from(MAX_TIMEOUT_MS) {
        Err(TimeoutError::TooLong)
    } else {
        Ok(())
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a timeout is {MIN_TIMEOUT_MS} ..= {MAX_TIMEOUT_MS} milliseconds (240 s is the \
             longest probe timeout Azure Container Apps allows)"
        )
    }
}

impl std::error::Error for TimeoutError {}
