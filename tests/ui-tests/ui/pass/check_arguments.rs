//! Every argument of `#[health_check]`, in every form it accepts.

use health_runtime::{health_check, health_routes, Health};

/// No argument: named `defaults`, readiness, 1000 ms, critical, no tags.
#[health_check]
async fn defaults() {}

/// Empty parentheses mean the same.
#[health_check()]
async fn empty_parens() {}

#[health_check(name = "postgres", timeout_ms = 2000, probe = "readiness", critical = true, tags = ["db", "sql"])]
async fn every_argument() {}

/// Arguments in any order, with a trailing comma.
#[health_check(tags = ["x"], critical = false, probe = "liveness", timeout_ms = 1, name = "a",)]
async fn any_order() {}

/// The bounds of `timeout_ms` and the longest name are accepted.
#[health_check(timeout_ms = 240000, name = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789a")]
async fn bounds() {}

/// Digits, `_`, `.` and `-` in names and tags; a name may start with a digit.
#[health_check(name = "0.redis-cache_v2", tags = ["tier-1", "cache.v2", "9_lives"])]
async fn charset() {}

/// An integer literal in any notation Rust has.
#[health_check(timeout_ms = 1_500)]
async fn underscores() {}

#[health_check(timeout_ms = 0x3e8)]
async fn hexadecimal() {}

/// A list of probes, and a list of one.
#[health_check(probe = ["startup", "readiness"])]
async fn two_probes() {}

#[health_check(probe = ["liveness", "readiness", "startup"])]
async fn all_probes() {}

#[health_check(probe = ["startup"])]
async fn one_probe_in_a_list() {}

/// Flap damping: thresholds at their bounds.
#[health_check(name = "flapping", failures = 3, successes = 2)]
async fn thresholds() {}

#[health_check(failures = 100, successes = 1)]
async fn threshold_bounds() {}

/// A raw identifier gives its name without `r#`.
#[health_check]
async fn r#match() {}

/// A visibility is kept on the function.
#[health_check]
pub async fn public() {}

mod nested {
    /// A check in a module, named from the route macro by path.
    #[health_runtime::health_check(name = "nested_check")]
    pub(crate) async fn nested() {}
}

fn main() {
    let health = Health::new();
    let _router: axum::Router = health_routes!(health);
    let _only: axum::Router = health_routes!(health, checks = [defaults, nested::nested, every_argument]);
    let _still_callable = (defaults(), r#match(), public());
}
