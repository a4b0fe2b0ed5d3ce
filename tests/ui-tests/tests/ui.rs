//! Compile-fail and compile-pass tests of `#[health_check]` and `health_routes!`.
//!
//! Each `ui/fail/*.rs` holds one mistake (the `*_many_mistakes.rs` files hold several, to
//! show they are reported in one pass) and the compiler's output beside it in `*.stderr`:
//! exactly one error each. Each `ui/pass/*.rs` is compiled and run: it builds its router and
//! asserts through it that its checks are served. Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p tests --test ui --all-features` and read the diff:
//! every underline must sit on the offending code.

#[cfg(feature = "builtins")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}

// The pass files use the client crates the `builtins` feature brings (a check named `redis`
// calls the real `redis` crate): without them the suite fails rather than skips.
#[cfg(not(feature = "builtins"))]
#[test]
fn ui() {
    panic!("run the ui tests with `--all-features` (or `--features builtins`)");
}
