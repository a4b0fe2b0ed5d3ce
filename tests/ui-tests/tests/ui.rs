//! Compile-fail and compile-pass tests of `#[health_check]` and `health_routes!`.
//!
//! Each `ui/fail/*.rs` holds one mistake (the `*_many_mistakes.rs` files hold several, to
//! show they are reported in one pass) and the compiler's output beside it in `*.stderr`:
//! exactly one error each. Each `ui/pass/*.rs` is compiled and run: it builds its router and
//! asserts through it that its checks are served. Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p ui-tests` and read the diff:
//! every underline must sit on the offending code.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
