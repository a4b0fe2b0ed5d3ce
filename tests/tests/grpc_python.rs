//! The `grpc_service` example as a real process, probed by a client nobody on this project
//! wrote: Python's `grpcio` with `grpcio-health-checking` (`tests/grpc/health_client.py`,
//! installed by `scripts/install-test-deps`). `Check` on every service name and `List`
//! with private PostgreSQL and redis-server instances up; then one `Watch` on `""` through
//! a dependency outage and SIGTERM: NOT_SERVING (Redis down), SERVING (up), NOT_SERVING
//! (killed), SERVING (back), NOT_SERVING (SIGTERM), end of stream, exit 0.
//!
//! The example binary is the one `cargo test --workspace` (the README's test command)
//! builds beside this test.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::capture::Tee;
use tests::dependency::Dependency;
use tests::example::binary;
use tests::http::try_request;
use tests::postgres_server::PostgresServer;
use tests::process::{free_port, signal};
use tests::redis_server::RedisServer;
use tests::secrets::GRPC_PG_PASSWORD;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Bound on every wait.
const BOUND: Duration = Duration::from_secs(20);
/// The example's background refresh period (1 s) and a margin: how soon a change must
/// reach a watcher.
const REFRESH: Duration = Duration::from_secs(4);

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The example, serving gRPC and HTTP on free ports. Killed on drop.
struct Example {
    child: Child,
    grpc: SocketAddr,
    http: SocketAddr,
}

impl Example {
    fn start(env: &[(&str, String)]) -> Example {
        let grpc = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let http = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let (stdout, stderr) = tests::capture::child_output("grpc_service");
        let child = Command::new(binary("grpc_service"))
            .env("GRPC_PORT", grpc.port().to_string())
            .env("PORT", http.port().to_string())
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("start the grpc_service example");
        Example { child, grpc, http }
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("the example runs");
        signal(i32::try_from(pid).unwrap(), libc::SIGTERM);
    }
}

/// The Python client: commands in, one JSON line per answer or Watch message out.
struct Client {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<Tee<ChildStdout>>>,
    /// Watch messages read while waiting for an answer.
    watched: VecDeque<Value>,
    /// Answers read while waiting for a Watch message.
    answers: VecDeque<Value>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let script = workspace().join("tests/grpc/health_client.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(
                tests::capture::child_file("grpc_python", "stderr").unwrap_or_else(Stdio::inherit),
            )
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs: install it with scripts/install-test-deps");
        let stdin = child.stdin.take().unwrap();
        let stdout = Tee::child("grpc_python", "stdout", child.stdout.take().unwrap());
        let lines = BufReader::new(stdout).lines();
        let mut client = Client {
            _child: child,
            stdin,
            lines,
            watched: VecDeque::new(),
            answers: VecDeque::new(),
        };
        let ready = client.read().await;
        assert_eq!(
            ready["op"], "ready",
            "the Python client did not start; `scripts/install-test-deps` installs grpcio \
             and grpcio-health-checking: {ready}"
        );
        client
    }

    async fn read(&mut self) -> Value {
        let line = tokio::time::timeout(BOUND, self.lines.next_line())
            .await
            .expect("the Python client answers in time")
            .expect("read the Python client's output")
            .expect(
                "the Python client exited (is grpcio installed? see scripts/install-test-deps)",
            );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    async fn send(&mut self, command: Value) {
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Sends `command` and returns its answer.
    async fn ask(&mut self, command: Value) -> Value {
        self.send(command).await;
        loop {
            if let Some(answer) = self.answers.pop_front() {
                return answer;
            }
            let message = self.read().await;
            if message["op"] == "watch" {
                self.watched.push_back(message);
            } else {
                return message;
            }
        }
    }

    /// `Check(service)`: a status name, or the gRPC code name of the error.
    async fn check(&mut self, service: &str) -> String {
        let answer = self.ask(json!(["check", service])).await;
        let value = answer.get("status").or(answer.get("code"));
        value
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned()
    }

    /// The next Watch message (a status, or the end `{"end": ...}`), within `limit`.
    async fn next_watched(&mut self, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(message) = self.watched.pop_front() {
                return message;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.read())
                .await
                .expect("a Watch message in time");
            if message["op"] == "watch" {
                return message;
            }
            self.answers.push_back(message);
        }
    }

    /// Asserts that the next Watch message is `status`, within `limit`.
    async fn watched(&mut self, status: &str, limit: Duration) {
        let message = self.next_watched(limit).await;
        assert_eq!(message["status"], status, "Watch sent {message}");
    }
}

/// Asks `Check("")` until it answers `status`, within `limit`.
async fn until(client: &mut Client, service: &str, status: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let answer = client.check(service).await;
        if answer == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service:?} still {answer}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const SERVICES: [&str; 9] = [
    "",
    "liveness",
    "readiness",
    "startup",
    "embedding_model",
    "scratch_dir",
    "cache_warm",
    "postgres",
    "redis",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_checks_every_service_name_of_the_running_example() {
    let postgres = PostgresServer::start(GRPC_PG_PASSWORD);
    let redis = RedisServer::start();
    let example = Example::start(&[("DATABASE_URL", postgres.url()), ("REDIS_URL", redis.url())]);
    let mut client = Client::connect(example.grpc).await;

    // While the model loads: readiness and startup wait, liveness passes, the RPC refuses.
    assert_eq!(client.check("").await, "NOT_SERVING");
    assert_eq!(client.check("liveness").await, "SERVING");
    let embed = client.ask(json!(["embed", "hello"])).await;
    assert_eq!(embed["code"], "UNAVAILABLE", "{embed}");

    until(&mut client, "", "SERVING", BOUND).await;
    for service in SERVICES {
        assert_eq!(client.check(service).await, "SERVING", "{service:?}");
    }
    assert_eq!(client.check("no_such_check").await, "NOT_FOUND");
    let listed = client.ask(json!(["list"])).await;
    let mut names: Vec<&str> = listed["statuses"]
        .as_object()
        .unwrap_or_else(|| panic!("{listed}"))
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    let mut expected = SERVICES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert!(
        listed["statuses"]
            .as_object()
            .unwrap()
            .values()
            .all(|s| s == "SERVING"),
        "{listed}"
    );

    // The service's own RPC, now that the model is there.
    let embed = client.ask(json!(["embed", "hello"])).await;
    let vector: Vec<f64> = serde_json::from_value(embed["vector"].clone()).unwrap();
    assert_eq!(vector.len(), 8, "{embed}");
    let norm = vector.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "{embed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_watch_follows_a_redis_outage_and_sigterm() {
    let mut redis = RedisServer::start();
    redis.kill(); // down from the start
    let mut example = Example::start(&[("REDIS_URL", redis.url())]);
    let mut client = Client::connect(example.grpc).await;

    client.send(json!(["watch", ""])).await;
    client.watched("NOT_SERVING", BOUND).await;
    // Started, yet not ready: the dependency is down, and only readiness says so.
    until(&mut client, "startup", "SERVING", BOUND).await;
    assert_eq!(client.check("").await, "NOT_SERVING");
    assert_eq!(client.check("redis").await, "NOT_SERVING");
    assert_eq!(client.check("liveness").await, "SERVING");

    redis.restart();
    client.watched("SERVING", REFRESH).await;
    assert_eq!(client.check("").await, "SERVING");

    redis.kill();
    client.watched("NOT_SERVING", REFRESH).await;
    assert_eq!(client.check("").await, "NOT_SERVING");
    assert_eq!(client.check("redis").await, "NOT_SERVING");
    assert_eq!(
        client.check("liveness").await,
        "SERVING",
        "an outage restarts nothing"
    );

    redis.restart();
    client.watched("SERVING", REFRESH).await;

    // SIGTERM: every service NOT_SERVING at once, while the server drains for 1 s.
    let terminated = Instant::now();
    example.sigterm();
    client
        .watched("NOT_SERVING", Duration::from_millis(900))
        .await;
    for service in SERVICES.iter().filter(|s| **s != "postgres") {
        assert_eq!(
            client.check(service).await,
            "NOT_SERVING",
            "{service:?} after SIGTERM"
        );
    }
    let ready = try_request(example.http, "GET", "/health/ready", &[])
        .await
        .unwrap();
    assert_eq!(ready.json()["status"], "shutting_down");
    assert!(
        terminated.elapsed() < Duration::from_secs(1),
        "{:?}",
        terminated.elapsed()
    );

    // The stream ends as the server stops, and the process exits cleanly.
    let end = client.next_watched(BOUND).await;
    assert_eq!(end["end"], "OK", "{end}");
    let exit = tokio::time::timeout(BOUND, example.child.wait()).await;
    let exit = exit.expect("the example exits after its drain").unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(
        terminated.elapsed() >= Duration::from_millis(900),
        "{:?}",
        terminated.elapsed()
    );
}
