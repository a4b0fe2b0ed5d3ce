//! The connection cap of `health_runtime::serve` (README, *Serving*): "at the cap, the
//! connection idle the longest is closed to make room, so idle connections never starve a
//! probe; while every connection has a request in flight, new ones wait in the listen
//! queue". Checked from the clients' side on a real listening server capped at two.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use health_runtime::Health;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

const CAP: usize = 2;
const BOUND: Duration = Duration::from_secs(10);

/// A server capped at [`CAP`] connections with the health routes and `/slow/{n}` (`n` <
/// [`CAP`]), which holds its request until `release[n]` gives it a permit; `entered`
/// counts the slow requests that arrived.
struct Capped {
    addr: std::net::SocketAddr,
    release: Arc<[Semaphore; CAP]>,
    entered: Arc<AtomicUsize>,
}

async fn capped() -> Capped {
    let health = Health::new();
    let release = Arc::new([Semaphore::new(0), Semaphore::new(0)]);
    let entered = Arc::new(AtomicUsize::new(0));
    let (gate, count) = (release.clone(), entered.clone());
    let app = Router::new()
        .route(
            "/slow/{n}",
            get(move |Path(n): Path<usize>| async move {
                count.fetch_add(1, Ordering::SeqCst);
                gate[n].acquire().await.unwrap().forget();
                "done"
            }),
        )
        .merge(health.router());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        health_runtime::serve(listener, app, &health)
            .max_connections(CAP)
            .await
            .unwrap();
    });
    Capped {
        addr,
        release,
        entered,
    }
}

async fn send(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// The status of the response on `stream`, or `None` if nothing came within `wait`.
/// Panics if the connection ends instead.
async fn status_within(stream: &mut TcpStream, wait: Duration) -> Option<u16> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let read = async {
        while !head.ends_with(b"\r\n\r\n") {
            let n = stream
                .read(&mut byte)
                .await
                .expect("the connection stays up");
            assert_eq!(n, 1, "the server closed the connection");
            head.push(byte[0]);
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    let head = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    head.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_every_connection_has_a_request_in_flight_a_new_one_waits_then_is_served() {
    let server = capped().await;
    let mut first = send(server.addr, "/slow/0").await;
    let mut second = send(server.addr, "/slow/1").await;
    tokio::time::timeout(BOUND, async {
        while server.entered.load(Ordering::SeqCst) < CAP {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both slow requests in flight");

    // A probe now: connected (the kernel queues it), neither answered nor closed.
    let mut probe = send(server.addr, "/health").await;
    assert_eq!(
        status_within(&mut probe, Duration::from_millis(700)).await,
        None
    );

    // One request finishes: its connection is idle now, so it makes room for the probe.
    server.release[0].add_permits(1);
    assert_eq!(status_within(&mut first, BOUND).await, Some(200));
    assert_eq!(status_within(&mut probe, BOUND).await, Some(200));
    // The cap held all along: the queued probe never made a third /slow possible.
    assert_eq!(server.entered.load(Ordering::SeqCst), CAP);

    server.release[1].add_permits(1);
    assert_eq!(status_within(&mut second, BOUND).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_connection_idle_the_longest_makes_room_for_a_probe() {
    let server = capped().await;
    // Two keep-alive connections, each idle after one answered request; the first is the
    // idlest.
    let mut idlest = send(server.addr, "/health").await;
    assert_eq!(status_within(&mut idlest, BOUND).await, Some(200));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut recent = send(server.addr, "/health").await;
    assert_eq!(status_within(&mut recent, BOUND).await, Some(200));

    let mut probe = send(server.addr, "/health/ready").await;
    assert_eq!(status_within(&mut probe, BOUND).await, Some(200));
    // The idlest connection was closed for it; the other one still serves.
    let mut rest = [0u8; 1];
    let closed = tokio::time::timeout(BOUND, idlest.read(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "{closed:?}");
    recent
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_within(&mut recent, BOUND).await, Some(200));
}
