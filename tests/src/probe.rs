//! Probing a health router over real HTTP the way the fault-matrix tests need it: timed,
//! with every response body checked for the secrets the tests inject and kept in a log.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{Response, TestServer};

pub use crate::secrets::{SECRET_API_KEY, SECRET_PASSWORD};
/// The secrets of the fault-matrix tests (every one the suite injects is in
/// [`crate::secrets::INJECTED`]).
pub const SECRETS: [&str; 2] = [SECRET_PASSWORD, SECRET_API_KEY];

/// How much longer than its check's timeout a report may take: a correctness bound (the
/// report must never hang), not a speed target.
pub const REPORT_SLACK: Duration = Duration::from_secs(2);

/// A timed probe response.
#[derive(Debug)]
pub struct Probed {
    /// The response.
    pub response: Response,
    /// How long it took to arrive.
    pub elapsed: Duration,
}

/// `GET path`, timed; fails the test if the body contains any injected secret
/// ([`crate::secrets::leaked_in`]), and appends the body to the log named by [`body_log`].
pub async fn probe(server: &TestServer, path: &str) -> Probed {
    let started = Instant::now();
    let response = server.get(path).await;
    let elapsed = started.elapsed();
    let body = String::from_utf8_lossy(&response.body).into_owned();
    record(path, &body);
    let leaked = crate::secrets::leaked_in(&body);
    assert!(
        leaked.is_empty(),
        "GET {path}: the response body leaks a secret: {}",
        crate::secrets::redacted(&body)
    );
    Probed { response, elapsed }
}

/// Where every body probed by the tests is appended, one line each:
/// `<tmp>/health-runtime-test-bodies.log`.
pub fn body_log() -> std::path::PathBuf {
    std::env::temp_dir().join("health-runtime-test-bodies.log")
}

fn record(path: &str, body: &str) {
    if let Ok(mut log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(body_log())
    {
        let _ = writeln!(log, "GET {path} {body}");
    }
}

impl Probed {
    /// The report entry of check `name`.
    pub fn check(&self, name: &str) -> Value {
        let json = self.response.json();
        let entry = json["checks"][name].clone();
        assert!(
            entry.is_object(),
            "no check `{name}` in {}",
            String::from_utf8_lossy(&self.response.body)
        );
        entry
    }

    /// Asserts status 200 and check `name` healthy; returns `self` for chaining.
    #[track_caller]
    pub fn assert_healthy(&self, name: &str) -> &Self {
        let entry = self.check(name);
        assert_eq!(
            (self.response.status.as_u16(), &entry["healthy"]),
            (200, &Value::Bool(true)),
            "expected `{name}` healthy: {}",
            String::from_utf8_lossy(&self.response.body)
        );
        self
    }

    /// Asserts status 503 and check `name` unhealthy with an error containing one of
    /// `expected`; returns the error text.
    #[track_caller]
    pub fn assert_unhealthy(&self, name: &str, expected: &[&str]) -> String {
        let entry = self.check(name);
        let body = String::from_utf8_lossy(&self.response.body);
        assert_eq!(self.response.status.as_u16(), 503, "expected 503: {body}");
        assert_eq!(
            entry["healthy"],
            Value::Bool(false),
            "expected `{name}` unhealthy: {body}"
        );
        let error = entry["error"].as_str().unwrap_or_default().to_owned();
        assert!(
            expected.iter().any(|text| error.contains(text)),
            "error of `{name}` should contain one of {expected:?}: {body}"
        );
        error
    }

    /// Asserts the report arrived within `timeout` plus [`REPORT_SLACK`].
    #[track_caller]
    pub fn assert_within(&self, timeout: Duration) -> &Self {
        assert!(
            self.elapsed <= timeout + REPORT_SLACK,
            "report took {:?}, more than the check's timeout {timeout:?} + {REPORT_SLACK:?}",
            self.elapsed
        );
        self
    }
}

/// Probes `path` until check `name` is healthy, at most `attempts` times 200 ms apart;
/// returns how many probes it took. Panics with the last body otherwise.
pub async fn probe_until_healthy(
    server: &TestServer,
    path: &str,
    name: &str,
    attempts: u32,
) -> u32 {
    let mut last = String::new();
    for attempt in 1..=attempts {
        let probed = probe(server, path).await;
        let json = probed.response.json();
        if probed.response.status == 200 && json["checks"][name]["healthy"] == Value::Bool(true) {
            return attempt;
        }
        last = String::from_utf8_lossy(&probed.response.body).into_owned();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("`{name}` not healthy after {attempts} probes; last: {last}");
}
