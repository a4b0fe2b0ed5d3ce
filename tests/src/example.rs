//! The example binaries `cargo test -p examples` builds, run as processes the way a user
//! runs them: started on a free port with the environment a test gives them, probed until
//! they answer as expected, killed when the test ends.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::http::try_request;

/// The example binary `name` that `cargo test` built beside the running test.
///
/// # Panics
///
/// When it was not built (the test runs without the example's features).
pub fn binary(name: &str) -> PathBuf {
    let deps = std::env::current_exe().expect("the test's path");
    let profile = deps.parent().unwrap().parent().unwrap();
    let binary = profile.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} was not built: run `cargo test -p examples --all-features`, which builds the examples",
        binary.display()
    );
    binary
}

/// A running example, killed on drop.
pub struct Service {
    child: Child,
    /// Where it listens (`$PORT` on loopback).
    pub addr: SocketAddr,
}

impl Service {
    /// Starts `binary` on a free loopback port (`$PORT`), without the variables of
    /// `unset`, with those of `env`; its output goes to [`crate::capture::child_output`].
    pub fn start(binary: &PathBuf, unset: &[&str], env: &[(&str, &str)]) -> Service {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let label = binary
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        let (stdout, stderr) = crate::capture::child_output(label.as_deref().unwrap_or("example"));
        let mut command = Command::new(binary);
        command.env("PORT", port.to_string());
        for name in unset {
            command.env_remove(name);
        }
        let child = command
            .envs(env.iter().copied())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", binary.display()));
        Service {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// GETs `path` until `accept` likes the status and JSON body, for at most `limit`.
    ///
    /// # Panics
    ///
    /// With the last answer, when none was accepted in time.
    pub async fn until(
        &self,
        path: &str,
        limit: Duration,
        accept: impl Fn(u16, &serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(response) = try_request(self.addr, "GET", path, &[]).await {
                let body = response.json();
                if accept(response.status.as_u16(), &body) {
                    return body;
                }
                last = Some((response.status, body));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{path} never answered as expected; last answer: {last:?}");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
