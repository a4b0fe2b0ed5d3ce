//! A short soak of `health_runtime::serve` (README, *Serving*): cached and background
//! readiness on real servers with short header-read and idle timeouts, under a bounded
//! load of keep-alive and `Connection: close` clients on loopback for `SOAK_SECONDS`
//! (default 20). No request may time out or fail, every response must be a well-formed
//! report, and the servers must not have closed a busy connection. Behaviour, not speed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use health_runtime::serve::ServeCounters;
use health_runtime::{Check, Health};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// A request not answered within this is a timeout: the servers are not loaded enough to
/// come near it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const CLIENTS: usize = 12;

fn soak_duration() -> Duration {
    let seconds = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20u64);
    Duration::from_secs(seconds.clamp(1, 600))
}

/// Four checks: two ready at once, one that waits a millisecond, one that reads a flag.
fn health(background: bool) -> Health {
    let builder = (0..4).fold(Health::builder().without_registered(), |builder, i| {
        builder.check(
            Check::new(format!("check_{i}"), move || async move {
                if i == 2 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Ok::<(), String>(())
            })
            .timeout(Duration::from_millis(500)),
        )
    });
    let builder = if background {
        builder.background(Duration::from_millis(200))
    } else {
        builder.cache_ttl(Duration::from_millis(200))
    };
    builder.build().expect("valid checks")
}

async fn start(background: bool) -> (SocketAddr, ServeCounters) {
    let health = health(background);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = health_runtime::serve(listener, health.router(), &health)
        .header_read_timeout(Duration::from_secs(1))
        .idle_timeout(Duration::from_secs(1));
    let counters = server.counters();
    tokio::spawn(async move {
        server.await.unwrap();
        drop(health);
    });
    (addr, counters)
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failures: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    sender
}

/// One client: requests back to back on a keep-alive connection, a new connection every
/// 50 requests, and every 7th request with `Connection: close`.
async fn client(addr: SocketAddr, until: Instant, tally: Arc<Tally>, n: usize) {
    let mut sender: Option<Sender> = None;
    let mut sent = 0u64;
    while Instant::now() < until {
        sent += 1;
        if sent.is_multiple_of(50) {
            sender = None;
        }
        let open = match &mut sender {
            Some(open) => open,
            None => sender.insert(connect(addr).await),
        };
        let path = if n.is_multiple_of(3) {
            "/health"
        } else {
            "/health/ready"
        };
        let close = sent.is_multiple_of(7);
        let mut request = hyper::Request::get(path).header("host", "soak");
        if close {
            request = request.header("connection", "close");
        }
        let request = request.body(Empty::new()).unwrap();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
            let response = open
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        })
        .await;
        let answered = matches!(answer, Ok(Ok(_)));
        match answer {
            Err(_) => tally.fail(format!(
                "{addr}{path}: no answer within {REQUEST_TIMEOUT:?}"
            )),
            Ok(Err(error)) => tally.fail(format!("{addr}{path}: {error}")),
            Ok(Ok((status, body))) => {
                let report: Result<serde_json::Value, _> = serde_json::from_slice(&body);
                match report {
                    Ok(report) if status == 200 && report["status"].is_string() => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => tally.fail(format!(
                        "{addr}{path}: {status} {}",
                        String::from_utf8_lossy(&body)
                    )),
                }
            }
        }
        if close || !answered {
            sender = None;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_and_background_readiness_answer_every_request_through_a_soak() {
    let (cached, cached_counters) = start(false).await;
    let (background, background_counters) = start(true).await;
    let duration = soak_duration();
    let until = Instant::now() + duration;
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let addr = if n % 2 == 0 { cached } else { background };
            tokio::spawn(client(addr, until, Arc::clone(&tally), n))
        })
        .collect();
    for client in clients {
        tokio::time::timeout(duration + REQUEST_TIMEOUT * 2, client)
            .await
            .expect("every client ends within the soak and one request's timeout")
            .expect("a client's task");
    }
    let failures = tally.failures.lock().unwrap().clone();
    let ok = tally.ok.load(Ordering::Relaxed);
    eprintln!(
        "soak: {ok} requests answered in {duration:?}, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests failed, the first: {:?}",
        failures.len(),
        ok + failures.len() as u64,
        &failures[..failures.len().min(5)]
    );
    assert!(ok > 1000, "only {ok} requests answered in {duration:?}");
    for (name, counters) in [
        ("cached", &cached_counters),
        ("background", &background_counters),
    ] {
        eprintln!(
            "{name}: accepted {}, header timeouts {}, idle timeouts {}, evicted {}, accept errors {}",
            counters.accepted(),
            counters.header_timeouts(),
            counters.idle_timeouts(),
            counters.evicted(),
            counters.accept_errors()
        );
        assert_eq!(
            counters.evicted(),
            0,
            "{name}: no connection is evicted below the cap"
        );
        assert_eq!(counters.accept_errors(), 0, "{name}: accepting never fails");
    }
}
