//! `health_runtime::serve` under hostile clients and through its shutdown, on a real
//! process (`serve_target`) listening on loopback: idle connections beyond the fd limit,
//! a slowloris, a half-sent or a 60 s request at SIGTERM, a second SIGTERM, and shutdown
//! guards held and released or never released.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tests::capture::Tee;
use tests::http::try_request;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

struct Service {
    child: Child,
    addr: SocketAddr,
    stdout: tokio::io::Lines<BufReader<Tee<tokio::process::ChildStdout>>>,
    stderr: Arc<Mutex<String>>,
}

async fn start(env: &[(&str, &str)], nofile: Option<u64>) -> Service {
    let mut command = Command::new(env!("CARGO_BIN_EXE_serve_target"));
    command
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(limit) = nofile {
        // SAFETY: setrlimit(2) is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(move || {
                let rlimit = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    let mut child = command.spawn().expect("start serve_target");
    let stderr = Arc::new(Mutex::new(String::new()));
    let stderr_pipe = Tee::child("serve_target", "stderr", child.stderr.take().unwrap());
    let mut err_lines = BufReader::new(stderr_pipe).lines();
    let collected = Arc::clone(&stderr);
    tokio::spawn(async move {
        while let Ok(Some(line)) = err_lines.next_line().await {
            let mut text = collected.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    let stdout_pipe = Tee::child("serve_target", "stdout", child.stdout.take().unwrap());
    let mut stdout = BufReader::new(stdout_pipe).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
        .await
        .expect("serve_target printed its address in time")
        .unwrap()
        .expect("a first line");
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    Service {
        child,
        addr,
        stdout,
        stderr,
    }
}

impl Service {
    fn sigterm(&self) {
        let pid = self.child.id().expect("still running") as i32;
        tests::process::signal(pid, libc::SIGTERM);
    }

    /// Waits (at most `limit`) for the process to exit; how long after `since` it did,
    /// and whether it printed `exited` (`serve` returned rather than the process dying).
    async fn exit_time(&mut self, since: Instant, limit: Duration) -> (Duration, bool) {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("still running {limit:?} after SIGTERM"))
            .unwrap();
        let elapsed = since.elapsed();
        assert!(status.success(), "exit status {status}");
        let mut rest = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(1), self.stdout.next_line()).await
        {
            rest.push(line);
        }
        (elapsed, rest.iter().any(|line| line == "exited"))
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The stderr read so far, once it contains `text` or `limit` passed.
    async fn stderr_containing(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let stderr = self.stderr();
            if stderr.contains(text) || Instant::now() >= deadline {
                return stderr;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One `GET` on a fresh connection, its status, bounded by `limit` in all.
async fn probe(addr: SocketAddr, path: &str, limit: Duration) -> Result<u16, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&response);
        text.split(' ')
            .nth(1)
            .and_then(|status| status.parse().ok())
            .ok_or_else(|| format!("no status line in {text:?}"))
    };
    tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| format!("{path}: no answer within {limit:?}"))?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_with_1100_idle_connections_and_1024_fds() {
    let service = start(&[], Some(1024)).await;
    // Stderr is read by a task of its own: the line may land just after `listening on`.
    let logged = service
        .stderr_containing("connection limit 768", Duration::from_secs(5))
        .await;
    assert!(logged.contains("connection limit 768"), "{logged}");
    let mut idle = Vec::new();
    for _ in 0..1100 {
        let stream =
            tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(service.addr))
                .await
                .expect("connect within 10 s")
                .expect("connect");
        idle.push(stream);
    }
    // Let the server accept all it will.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in ["/health", "/health/ready", "/health", "/health/ready"] {
        let started = Instant::now();
        let status = probe(service.addr, path, Duration::from_secs(3)).await;
        assert_eq!(status, Ok(200), "{path} with 1 100 idle connections open");
        eprintln!("{path} answered in {:?}", started.elapsed());
    }
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_fds_below_the_cap_never_stops_accepting() {
    // A cap above the fd limit: accept fails with EMFILE, and the loop goes on.
    let service = start(&[("MAX_CONN", "4000")], Some(1024)).await;
    let mut idle = Vec::new();
    for _ in 0..1100 {
        let stream =
            tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(service.addr))
                .await
                .expect("connect within 10 s")
                .expect("connect");
        idle.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in ["/health", "/health/ready"] {
        let started = Instant::now();
        let status = probe(service.addr, path, Duration::from_secs(5)).await;
        assert_eq!(status, Ok(200), "{path} after EMFILE");
        eprintln!("{path} answered in {:?} after EMFILE", started.elapsed());
    }
    let log = service.stderr();
    assert!(
        log.contains("accept failed"),
        "EMFILE never happened:\n{log}"
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_is_cut_off_by_the_header_read_timeout() {
    let service = start(&[("HEADER_MS", "1000"), ("IDLE_MS", "30000")], None).await;
    let stream = TcpStream::connect(service.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let opened = Instant::now();
    let trickle = tokio::spawn(async move {
        let _ = write.write_all(b"GET /health HTTP/1.1\r\n").await;
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let header = format!("X-Slow-{i}: a\r\n");
            if write.write_all(header.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(8), read.read_to_end(&mut answer)).await;
    let after = opened.elapsed();
    assert!(
        closed.is_ok(),
        "the slowloris connection was still open after 8 s"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains(" 200 "),
        "the trickled request was served: {answer}"
    );
    assert!(
        after < Duration::from_secs(3),
        "closed only after {after:?}"
    );
    eprintln!("slowloris closed after {after:?}");
    // The server is still serving.
    let status = probe(service.addr, "/health", Duration::from_secs(3)).await;
    assert_eq!(status, Ok(200));
    trickle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_half_sent_request_exits_within_drain_and_bound() {
    let mut service = start(&[("DRAIN_MS", "500"), ("BOUND_MS", "1500")], None).await;
    let mut half = TcpStream::connect(service.addr).await.unwrap();
    half.write_all(b"GET /work?ms=1 HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let terminated = Instant::now();
    service.sigterm();
    let (elapsed, returned) = service.exit_time(terminated, Duration::from_secs(10)).await;
    eprintln!("exited {elapsed:?} after SIGTERM with a half-sent request open");
    assert!(returned, "serve did not return");
    assert!(
        elapsed >= Duration::from_millis(500),
        "exited before the drain: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(3000),
        "exited after {elapsed:?}"
    );
    drop(half);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_60s_request_in_flight_exits_within_the_bound() {
    let mut service = start(&[("DRAIN_MS", "500"), ("BOUND_MS", "1500")], None).await;
    let addr = service.addr;
    let long = tokio::spawn(async move { try_request(addr, "GET", "/work?ms=60000", &[]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let terminated = Instant::now();
    service.sigterm();
    let (elapsed, returned) = service.exit_time(terminated, Duration::from_secs(10)).await;
    eprintln!("exited {elapsed:?} after SIGTERM with a 60 s request in flight");
    assert!(returned, "serve did not return");
    assert!(
        elapsed >= Duration::from_millis(1900),
        "did not wait for the request: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(3000),
        "exited after {elapsed:?}"
    );
    let cut = long.await.unwrap();
    assert!(cut.is_err(), "the 60 s request completed: {cut:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_during_the_drain_exits_at_once() {
    let mut service = start(&[("DRAIN_MS", "10000"), ("BOUND_MS", "10000")], None).await;
    service.sigterm();
    let mut shutting_down = false;
    for _ in 0..100 {
        if probe(service.addr, "/health/ready", Duration::from_secs(2)).await == Ok(503) {
            shutting_down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(shutting_down, "readiness never answered 503 after SIGTERM");
    assert_eq!(
        probe(service.addr, "/health", Duration::from_secs(2)).await,
        Ok(200)
    );
    let second = Instant::now();
    service.sigterm();
    let (elapsed, returned) = service.exit_time(second, Duration::from_secs(5)).await;
    eprintln!("exited {elapsed:?} after the second SIGTERM");
    assert!(returned, "serve did not return");
    assert!(
        elapsed < Duration::from_millis(1000),
        "exited after {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_shutdown_guard_delays_exit_until_dropped() {
    let mut service = start(
        &[
            ("DRAIN_MS", "200"),
            ("BOUND_MS", "6000"),
            ("BEACON", "reindex"),
            ("BEACON_MS", "1500"),
        ],
        None,
    )
    .await;
    let terminated = Instant::now();
    service.sigterm();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        probe(service.addr, "/health/ready", Duration::from_secs(2)).await,
        Ok(503),
        "readiness while the guard is held"
    );
    assert!(
        service.child.try_wait().unwrap().is_none(),
        "exited while the guard was held"
    );
    let (elapsed, returned) = service.exit_time(terminated, Duration::from_secs(10)).await;
    eprintln!("exited {elapsed:?} after SIGTERM, the guard dropped at about 1.5 s");
    assert!(returned, "serve did not return");
    assert!(
        elapsed >= Duration::from_millis(1500),
        "exited before the guard was dropped: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(3500),
        "exited only after {elapsed:?}"
    );
    let log = service.stderr();
    assert!(
        !log.lines()
            .any(|line| line.contains("WARN") && line.contains("guards")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_bound_ends_a_guard_never_dropped_and_names_it() {
    let mut service = start(
        &[
            ("DRAIN_MS", "200"),
            ("BOUND_MS", "1000"),
            ("BEACON", "reindex"),
        ],
        None,
    )
    .await;
    let terminated = Instant::now();
    service.sigterm();
    let (elapsed, returned) = service.exit_time(terminated, Duration::from_secs(10)).await;
    eprintln!("exited {elapsed:?} after SIGTERM with a guard never dropped");
    assert!(returned, "serve did not return");
    assert!(
        elapsed >= Duration::from_millis(1200),
        "exited before the bound: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2700),
        "exited only after {elapsed:?}"
    );
    let log = service.stderr();
    let warning = log
        .lines()
        .find(|line| line.contains("WARN") && line.contains("shutdown guards still held"))
        .unwrap_or_else(|| panic!("no warning naming the guard in:\n{log}"));
    assert!(warning.contains("reindex"), "{warning}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let service = start(&[("IDLE_MS", "500"), ("HEADER_MS", "30000")], None).await;
    let mut stream = TcpStream::connect(service.addr).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", service.addr);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut first))
        .await
        .expect("an answer")
        .unwrap();
    assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"));
    // Kept alive, then idle: the server closes it.
    let answered = Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    let after = answered.elapsed();
    assert!(
        closed.is_ok(),
        "the idle connection was still open after 5 s"
    );
    assert!(
        after >= Duration::from_millis(400),
        "closed too early: {after:?}"
    );
    assert!(
        after < Duration::from_millis(2000),
        "closed only after {after:?}"
    );
    eprintln!("idle keep-alive connection closed after {after:?}");
}
