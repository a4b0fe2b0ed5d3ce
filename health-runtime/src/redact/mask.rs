//! The one replacement of everything redaction hides, so that every rule masks alike.

/// What a scrubbed secret or a masked credential is replaced with.
pub(crate) const MASK: &str = "***";
