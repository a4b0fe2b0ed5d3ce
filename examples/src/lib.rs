//! Runnable services built on health-runtime; see the `[[example]]`s.

pub mod quickstart;
