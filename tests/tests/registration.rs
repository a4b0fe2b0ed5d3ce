//! A `#[health_check]` in a library crate the binary never names is not linked, so not
//! registered; `HealthBuilder::expect_checks` makes that a start-up error naming the check
//! and the fix, and `use the_crate as _;` fixes it. Two real binaries depending on one
//! library crate, run as processes.

use std::process::Command;

fn run(binary: &str) -> String {
    let output = Command::new(binary).output().expect("run the binary");
    let label = std::path::Path::new(binary).file_name().unwrap();
    tests::capture::output(&label.to_string_lossy(), &output);
    assert!(output.status.success(), "{binary}: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8 output")
}

#[test]
fn a_check_in_an_unnamed_library_crate_is_reported_missing() {
    let output = run(env!("CARGO_BIN_EXE_registration_unnamed"));
    assert!(
        output.starts_with("error: expected health checks `library_check` are missing"),
        "{output}"
    );
    assert!(
        output.contains("add `use <crate> as _;` to the binary"),
        "{output}"
    );
}

#[test]
fn naming_the_library_crate_registers_its_check() {
    let output = run(env!("CARGO_BIN_EXE_registration_named"));
    assert_eq!(output.trim(), "registered: library_check");
}
