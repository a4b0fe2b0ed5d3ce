//! Probe storms against a real, private redis-server, counted by the server itself:
//! a 1 s TTL means at most one PING per TTL however many probes arrive, and a server frozen
//! by SIGSTOP never piles up runs or hangs a report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use health_runtime::{Check, Health, checks};
use redis::aio::ConnectionManager;
use tests::dependency::Dependency;
use tests::http::TestServer;
use tests::redis_server::RedisServer;

/// `cmdstat_ping:calls=N` from the server's `INFO commandstats`.
async fn ping_calls(client: &redis::Client) -> u64 {
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut connection)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_ping:calls="))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

/// Sends readiness probes from `clients` concurrent loops for `duration`; returns the
/// statuses and the slowest answer.
async fn storm(
    server: &Arc<TestServer>,
    clients: usize,
    duration: Duration,
) -> (Vec<u16>, Duration) {
    let until = Instant::now() + duration;
    let loops: Vec<_> = (0..clients)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut slowest = Duration::ZERO;
                for _ in 0..100_000 {
                    if Instant::now() >= until {
                        break;
                    }
                    let sent = Instant::now();
                    let response = server.get("/health/ready").await;
                    slowest = slowest.max(sent.elapsed());
                    seen.push(response.status.as_u16());
                }
                (seen, slowest)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut slowest = Duration::ZERO;
    for handle in loops {
        let (seen, slow) = handle.await.unwrap();
        statuses.extend(seen);
        slowest = slowest.max(slow);
    }
    (statuses, slowest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_second_ttl_means_at_most_one_ping_per_second() {
    let redis = RedisServer::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let health = Health::builder()
        .without_registered()
        .check(checks::redis::check("redis"))
        .cache_ttl(Duration::from_secs(1))
        // Phase 0 whatever `HOSTNAME` the machine exports: the first TTL is whole too.
        .replica_identity("")
        .build()
        .unwrap();
    health.provide(ConnectionManager::new(client.clone()).await.unwrap());
    let server = Arc::new(TestServer::start(health.router()).await);

    let before = ping_calls(&client).await;
    let started = Instant::now();
    let (statuses, _) = storm(&server, 16, Duration::from_millis(3500)).await;
    let elapsed = started.elapsed();
    let pings = ping_calls(&client).await - before;

    println!(
        "{} probes in {elapsed:?}: {pings} PINGs counted by redis-server",
        statuses.len()
    );
    assert!(statuses.len() > 200, "only {} probes", statuses.len());
    assert!(statuses.iter().all(|status| *status == 200));
    let windows = elapsed.as_secs() + 1;
    assert!(
        pings >= 3,
        "{pings} PINGs in {elapsed:?}: the cache never expired"
    );
    assert!(
        pings <= windows,
        "{pings} PINGs for {} probes in {elapsed:?}; at most {windows} expected",
        statuses.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_never_piles_up_runs_nor_hangs_a_report() {
    let redis = RedisServer::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let runs = Arc::new(AtomicUsize::new(0));
    let check = {
        let (in_flight, peak, runs) = (in_flight.clone(), peak.clone(), runs.clone());
        Check::with_resource("redis", move |connection: Arc<ConnectionManager>| {
            runs.fetch_add(1, Ordering::SeqCst);
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let guard = InFlight(in_flight.clone());
            async move {
                let _guard = guard;
                checks::redis::ping(&mut (*connection).clone()).await
            }
        })
        .timeout(Duration::from_millis(300))
    };
    let health = Health::builder()
        .without_registered()
        .check(check)
        .build()
        .unwrap();
    health.provide(ConnectionManager::new(client).await.unwrap());
    let server = Arc::new(TestServer::start(health.router()).await);
    assert_eq!(server.get("/health/ready").await.status, 200);

    redis.freeze();
    // Probes arrive every few milliseconds from 16 clients, far faster than the timeout.
    let (statuses, slowest) = storm(&server, 16, Duration::from_secs(2)).await;
    let body = server.get("/health/ready").await.json();
    redis.thaw();

    println!(
        "{} probes against a frozen redis-server: slowest {slowest:?}, {} runs, peak in flight {}",
        statuses.len(),
        runs.load(Ordering::SeqCst),
        peak.load(Ordering::SeqCst)
    );
    assert!(statuses.len() > 16, "only {} probes", statuses.len());
    assert!(statuses.iter().all(|status| *status == 503), "{statuses:?}");
    assert_eq!(body["checks"]["redis"]["error"], "Timeout after 300ms");
    assert_eq!(
        peak.load(Ordering::SeqCst),
        1,
        "runs in flight exceeded the one check"
    );
    // Every report came back within the timeout plus a bound for scheduling and TCP.
    assert!(
        slowest < Duration::from_millis(300 + 1000),
        "a probe took {slowest:?}"
    );
    assert!(
        runs.load(Ordering::SeqCst) <= statuses.len() / 2,
        "no run was shared"
    );

    // Thawed, the same connection answers again without restarting anything.
    let mut healthy = false;
    for _ in 0..50 {
        if server.get("/health/ready").await.status == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "readiness did not recover after SIGCONT");
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
