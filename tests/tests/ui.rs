//! Compile-fail and compile-pass tests of `#[health_check]` and `health_routes!`.
//!
//! Each `ui/fail/*.rs` holds one mistake (one holds several, to show they are reported in
//! one pass) and the compiler's output beside it in `*.stderr`. Regenerate the expected
//! output with `TRYBUILD=overwrite cargo test -p tests --test ui` and read the diff: every
//! underline must sit on the offending token.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
