//! Figure 14's load generator: paced (open-loop) HTTP/1 streams on keep-alive
//! connections. A request delayed by the server's late answer to the one before is
//! counted from when it was due, not from when it was sent, so a stalled server is not
//! hidden by the requests it delayed (no coordinated omission); one delayed only by the
//! client's timer is counted from when it was sent.
//!
//! ```text
//! bench-pace --duration SECONDS --stream NAME URL RATE CONNECTIONS [--stream ...]
//! ```
//!
//! Prints one line per stream: `NAME requests N failed N timeouts N p50_us N p99_us N
//! max_us N`. A request not answered within 2 s is a timeout (its connection is dropped
//! and opened again); a failed request is one that got no response or not a 2xx.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use tokio::net::TcpStream;
use tokio::time::Instant;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

struct Stream {
    name: String,
    uri: hyper::Uri,
    rate: f64,
    connections: u32,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    failed: u64,
    timeouts: u64,
}

fn main() {
    let mut duration = Duration::from_secs(5);
    let mut streams = Vec::new();
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = || argv.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--duration" => {
                duration = Duration::from_secs_f64(value().parse().expect("--duration seconds"));
            }
            "--stream" => streams.push(Stream {
                name: value(),
                uri: value().parse().expect("a URL"),
                rate: value().parse().expect("a rate per second"),
                connections: value().parse().expect("a number of connections"),
            }),
            other => panic!("unknown argument {other}"),
        }
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(streams, duration));
}

async fn run(streams: Vec<Stream>, duration: Duration) {
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::new();
    for stream in &streams {
        let interval = Duration::from_secs_f64(f64::from(stream.connections) / stream.rate);
        let per_connection = stream.connections;
        let handles: Vec<_> = (0..per_connection)
            .map(|i| {
                // Connections take turns, so the stream's requests are evenly spread.
                let first = start + interval.mul_f64(f64::from(i) / f64::from(per_connection));
                tokio::spawn(connection(
                    stream.uri.clone(),
                    first,
                    interval,
                    start + duration,
                ))
            })
            .collect();
        tasks.push((stream.name.clone(), handles));
    }
    for (name, handles) in tasks {
        let mut tally = Tally::default();
        for handle in handles {
            let one = handle.await.expect("a connection's task");
            tally.latencies_us.extend(one.latencies_us);
            tally.failed += one.failed;
            tally.timeouts += one.timeouts;
        }
        tally.latencies_us.sort_unstable();
        let at = |q: f64| {
            let n = tally.latencies_us.len();
            if n == 0 {
                return 0;
            }
            tally.latencies_us[((n as f64 * q) as usize).min(n - 1)]
        };
        println!(
            "{name} requests {} failed {} timeouts {} p50_us {} p99_us {} max_us {}",
            tally.latencies_us.len() as u64 + tally.failed + tally.timeouts,
            tally.failed,
            tally.timeouts,
            at(0.5),
            at(0.99),
            tally.latencies_us.last().copied().unwrap_or(0),
        );
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(uri: &hyper::Uri) -> Option<Sender> {
    let host = uri.host()?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port)).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await.ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// One connection's requests, each due `interval` after the one before, until `end`.
async fn connection(uri: hyper::Uri, first: Instant, interval: Duration, end: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut sender: Option<Sender> = None;
    let mut due = first;
    let mut last_done = first;
    while due < end {
        tokio::time::sleep_until(due).await;
        // Late because the server answered the previous request late: counted from when it
        // was due. Late only because the timer woke up late (tokio's is 1 ms coarse): from
        // now, so the client's own timer is not blamed on the server.
        let start = if last_done > due { due } else { Instant::now() };
        if sender.is_none() {
            sender = connect(&uri).await;
        }
        let Some(open) = sender.as_mut() else {
            tally.failed += 1;
            due += interval;
            continue;
        };
        let request = hyper::Request::get(uri.clone())
            .header(
                hyper::header::HOST,
                uri.authority().map_or("", |a| a.as_str()),
            )
            .body(Empty::new())
            .expect("a request");
        let answered = tokio::time::timeout_at(start + REQUEST_TIMEOUT, async {
            let response = open.send_request(request).await.ok()?;
            let ok = response.status().is_success();
            response.into_body().collect().await.ok()?;
            Some(ok)
        })
        .await;
        match answered {
            Ok(Some(true)) => tally.latencies_us.push(start.elapsed().as_micros() as u64),
            Ok(Some(false)) => tally.failed += 1,
            Ok(None) => {
                tally.failed += 1;
                sender = None;
            }
            Err(_) => {
                tally.timeouts += 1;
                sender = None;
            }
        }
        // Requests overdue after a slow one are sent at once, each counting its delay
        // from when it was due.
        last_done = Instant::now();
        due += interval;
    }
    tally
}
