//! The fault proxy lives in `health-runtime-testing`, where users' own tests reach it too.

pub use health_runtime_testing::fault::*;
