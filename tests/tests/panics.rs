//! A check that panics — in its function, in its future, or while its future is dropped at
//! its timeout — is a report, and what the process prints about the panic is redacted:
//! Rust prints every panic through its panic hook before anything catches it, so the
//! library's hook prints a check's panic with its message scrubbed and names the check,
//! and leaves every other panic to the hook it replaced. The checks run in a process of
//! their own (`src/bin/panics_child.rs`), whose stderr is what a pod's log would hold.

use std::process::Command;

/// Registered with the application; every panic message carries it.
const KEY: &str = "panic-k3y-9b1f2e7d";
/// In a URL, with no registration: the patterns must catch it.
const URL_PASSWORD: &str = "pw-in-url-4e8a";

#[test]
fn a_check_panic_is_printed_redacted_and_every_other_panic_as_before() {
    let output = Command::new(env!("CARGO_BIN_EXE_panics_child"))
        .args([KEY, URL_PASSWORD])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the child");
    tests::capture::output("panics-child", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    for secret in [KEY, URL_PASSWORD] {
        assert!(!stderr.contains(secret), "stderr leaks {secret}:\n{stderr}");
        assert!(!stdout.contains(secret), "stdout leaks {secret}:\n{stdout}");
    }
    // Each check's panic, printed with the check's name and what failed, twice.
    for (check, what) in [
        ("in_fn", "login failed with ***"),
        ("in_future", "token *** refused"),
        ("on_drop", "dropped while holding ***"),
    ] {
        let printed = format!("(in health check `{check}`;");
        assert_eq!(stderr.matches(&printed).count(), 2, "{check}:\n{stderr}");
        assert!(stderr.contains(what), "{check}: {what}:\n{stderr}");
    }
    // The application's own panic goes through the hook that was there before.
    assert!(
        stderr.contains("a panic of the application, not a check"),
        "{stderr}"
    );

    let bodies: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("BODY "))
        .collect();
    assert_eq!(bodies.len(), 2, "{stdout}");
    for body in bodies {
        let (status, json) = body.split_once(' ').expect("status and body");
        assert_eq!(status, "503", "{body}");
        let json: serde_json::Value = serde_json::from_str(json).expect("JSON body");
        let checks = &json["checks"];
        assert_eq!(
            checks["in_fn"]["error"],
            "check panicked: login failed with *** for postgres://app:***@db",
            "{json}"
        );
        assert_eq!(
            checks["in_future"]["error"], "check panicked: token *** refused",
            "{json}"
        );
        assert_eq!(checks["on_drop"]["error"], "Timeout after 100ms", "{json}");
    }
}
