//! Failure and success thresholds: how many consecutive results it takes for a check to
//! change its counted status.

use std::fmt;

/// The largest threshold: a check needing more than 100 consecutive results to change
/// would hide an outage for longer than any probe budget.
pub const MAX_THRESHOLD: u32 = 100;

/// The thresholds of a check that sets none: its first failed run counts as a failure,
/// its first good run as a recovery (no damping).
pub const DEFAULT_THRESHOLD: u32 = 1;

/// A threshold outside 1 ..= [`MAX_THRESHOLD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThresholdError {
    /// Zero: a check must see at least one result to change.
    Zero,
    /// More than [`MAX_THRESHOLD`].
    TooLarge,
}

/// Checks that `n` consecutive results is a threshold a check may have.
///
/// ```
/// use health_rules::{ThresholdError, validate_threshold};
///
/// assert_eq!(validate_threshold(3), Ok(()));
/// assert_eq!(validate_threshold(0), Err(ThresholdError::Zero));
/// assert_eq!(validate_threshold(101), Err(ThresholdError::TooLarge));
/// ```
pub fn validate_threshold(n: u128) -> Result<(), ThresholdError> {
    match n {
        0 => Err(ThresholdError::Zero),
        n if n > u128::from(MAX_THRESHOLD) => Err(ThresholdError::TooLarge),
        _ => Ok(()),
    }
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a threshold is 1 ..= {MAX_THRESHOLD} consecutive results (1, the default, \
             counts every result at once)"
        )
    }
}

impl std::error::Error for ThresholdError {}
