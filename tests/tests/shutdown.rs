//! Graceful shutdown of a real process under load: SIGTERM flips readiness to 503
//! `shutting_down` at once, liveness stays 200, the drain delay passes, and axum finishes
//! in-flight requests before the process exits. No request other than readiness fails.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tests::capture::{self, Tee};
use tests::http::try_request;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const DRAIN: Duration = Duration::from_millis(1000);

async fn start_service() -> (
    Child,
    SocketAddr,
    tokio::io::Lines<BufReader<Tee<tokio::process::ChildStdout>>>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drain_service"))
        .env("DRAIN_MS", DRAIN.as_millis().to_string())
        .stdout(Stdio::piped())
        .stderr(capture::child_file("drain_service", "stderr").unwrap_or_else(Stdio::inherit))
        .kill_on_drop(true)
        .spawn()
        .expect("start drain_service");
    let stdout = Tee::child("drain_service", "stdout", child.stdout.take().unwrap());
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("service printed its address in time")
        .unwrap()
        .expect("a first line");
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    (child, addr, lines)
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_fails_no_request_but_readiness() {
    let (mut child, addr, mut lines) = start_service().await;
    let ready = try_request(addr, "GET", "/health/ready", &[])
        .await
        .unwrap();
    assert_eq!(ready.status, 200);

    // Like a load balancer: send work until readiness says the instance is going away.
    let out_of_rotation = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let stop = out_of_rotation.clone();
            let completed = completed.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                for _ in 0..1000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match try_request(addr, "GET", "/work?ms=50", &[]).await {
                        Ok(response) if response.status == 200 => {
                            completed.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(response) => failures.push(format!("status {}", response.status)),
                        Err(error) => failures.push(error),
                    }
                }
                failures
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    // A request that outlives the drain delay: graceful shutdown must let it finish.
    let long = tokio::spawn(try_request(addr, "GET", "/work?ms=1500", &[]));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let completed_before = completed.load(Ordering::SeqCst);
    let terminated = Instant::now();
    sigterm(&child);

    // Readiness flips at once; liveness keeps answering 200 throughout the drain.
    let mut flipped_after = None;
    let mut liveness_during_drain = Vec::new();
    for _ in 0..200 {
        let Ok(readiness) = try_request(addr, "GET", "/health/ready", &[]).await else {
            break;
        };
        if readiness.status == 503 {
            assert_eq!(readiness.body, r#"{"status":"shutting_down"}"#);
            flipped_after.get_or_insert(terminated.elapsed());
            out_of_rotation.store(true, Ordering::SeqCst);
            if let Ok(liveness) = try_request(addr, "GET", "/health", &[]).await {
                liveness_during_drain.push(liveness.status);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let flipped_after = flipped_after.expect("readiness never reported shutting_down");
    assert!(
        flipped_after < DRAIN,
        "readiness flipped only after {flipped_after:?}"
    );
    assert!(!liveness_during_drain.is_empty());
    assert!(liveness_during_drain.iter().all(|status| *status == 200));

    for worker in workers {
        let failures = worker.await.unwrap();
        assert!(failures.is_empty(), "work requests failed: {failures:?}");
    }
    let long = long.await.unwrap().expect("the in-flight request was cut");
    assert_eq!(long.status, 200);
    assert_eq!(long.body, "done");
    assert!(
        completed.load(Ordering::SeqCst) > completed_before,
        "no work during the drain"
    );

    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the process exits after draining")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(terminated.elapsed() >= DRAIN);
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("drained"));
}
