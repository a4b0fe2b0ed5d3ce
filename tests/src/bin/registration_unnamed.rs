//! Depends on `checklib` without naming it: its `#[health_check]` is not linked, and
//! `expect_checks` says so.

fn main() {
    tests::registration::print_registration();
}
