//! Figure 13 of `scripts/bench`: a fleet of replicas refreshing one PostgreSQL check in
//! the background, against one real PostgreSQL, in real time. Two fleets run side by
//! side in this process, started in the same instant: the library's default spread
//! schedule (each replica named as a Deployment's pod, so its phase comes from a hash)
//! and a naive one (`without_spread`: the same period, every replica on the same
//! instants, as a plain interval). Then the database goes away for an outage and comes
//! back on the same port.
//!
//! ```text
//! bench-fleet --pg URL --stop CMD --start CMD [--replicas 500] [--period 5] [--outage 30]
//! ```
//!
//! Every run of a check inserts a row into its fleet's table, stamped by the database
//! (`clock_timestamp()`); the queries per second are counted from those stamps in 1 s
//! windows. The mean is each fleet's mean rate from its start until the outage; the
//! peaks are the busiest window of that span ("after a simultaneous start") and of the
//! span from the database's return to five periods later ("after the outage ends"). The
//! output is one line per fleet and span: `SPAN FLEET PEAK MEAN PEAK_TO_MEAN`.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use health_runtime::{Check, Health};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

#[derive(Clone, Copy)]
enum Fleet {
    Spread,
    Naive,
}

impl Fleet {
    fn table(self) -> &'static str {
        match self {
            Fleet::Spread => "fleet_spread",
            Fleet::Naive => "fleet_naive",
        }
    }

    fn create(self) -> &'static str {
        match self {
            Fleet::Spread => {
                "CREATE TABLE fleet_spread (at timestamptz NOT NULL DEFAULT clock_timestamp())"
            }
            Fleet::Naive => {
                "CREATE TABLE fleet_naive (at timestamptz NOT NULL DEFAULT clock_timestamp())"
            }
        }
    }

    fn insert(self) -> &'static str {
        match self {
            Fleet::Spread => "INSERT INTO fleet_spread DEFAULT VALUES",
            Fleet::Naive => "INSERT INTO fleet_naive DEFAULT VALUES",
        }
    }

    /// The stamps of the runs between two instants (epoch seconds).
    fn stamps(self) -> &'static str {
        match self {
            Fleet::Spread => {
                "SELECT extract(epoch FROM at)::float8 FROM fleet_spread \
                 WHERE at >= to_timestamp($1) AND at < to_timestamp($2)"
            }
            Fleet::Naive => {
                "SELECT extract(epoch FROM at)::float8 FROM fleet_naive \
                 WHERE at >= to_timestamp($1) AND at < to_timestamp($2)"
            }
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        let at = argv.iter().position(|arg| arg == name)?;
        Some(
            argv.get(at + 1)
                .unwrap_or_else(|| panic!("{name} needs a value"))
                .clone(),
        )
    };
    let number =
        |name: &str, default: u64| value(name).map_or(default, |v| v.parse().expect("a number"));
    let settings = Settings {
        pg: value("--pg").expect("--pg URL"),
        stop: value("--stop").expect("--stop CMD"),
        start: value("--start").expect("--start CMD"),
        replicas: number("--replicas", 500) as usize,
        period: Duration::from_secs(number("--period", 5)),
        outage: Duration::from_secs(number("--outage", 30)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(&settings));
}

struct Settings {
    pg: String,
    stop: String,
    start: String,
    replicas: usize,
    period: Duration,
    outage: Duration,
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// A Deployment's pod name: the ReplicaSet's hash, then five characters of Kubernetes'
/// alphabet for generated names, fixed per replica.
fn pod_name(n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut state = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d;
    let suffix: String = (0..5)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ALPHABET[((state >> 33) % ALPHABET.len() as u64) as usize] as char
        })
        .collect();
    format!("api-7d9f8c6b5-{suffix}")
}

fn replica(pool: &PgPool, fleet: Fleet, n: usize, period: Duration) -> Health {
    let pool = pool.clone();
    let insert = fleet.insert();
    let check = Check::new("postgres", move || {
        let pool = pool.clone();
        async move { sqlx::query(insert).execute(&pool).await.map(|_| ()) }
    });
    let builder = Health::builder()
        .without_registered()
        .history(0)
        .check(check)
        .background(period);
    match fleet {
        Fleet::Spread => builder.replica_identity(pod_name(n)),
        Fleet::Naive => builder.without_spread(),
    }
    .build()
    .expect("health")
}

fn shell(command: &str) {
    let status = Command::new("sh")
        .args(["-c", command])
        .status()
        .expect("run sh");
    assert!(status.success(), "`{command}` failed: {status}");
}

/// The database's stamps of `fleet`'s runs between `from` and `to`, counted per 1 s
/// window from `from`: `(busiest window, runs)`.
async fn windows(pool: &PgPool, fleet: Fleet, from: f64, to: f64) -> (usize, usize) {
    let stamps: Vec<(f64,)> = sqlx::query_as(fleet.stamps())
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        .expect("read the stamps");
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for (at,) in &stamps {
        *counts.entry((at - from).floor() as i64).or_default() += 1;
    }
    eprintln!(
        "{}: {:?}",
        fleet.table(),
        counts.values().collect::<Vec<_>>()
    );
    (counts.values().copied().max().unwrap_or(0), stamps.len())
}

/// A pool of 10 connections, opened ahead one at a time. Acquisitions give up after
/// 200 ms: a pool retries refused connections until then, and the runs waiting in that
/// retry all succeed in the instant the database returns (500 replicas backing off over
/// 20 s leave about 5 such runs).
async fn pool(url: &str) -> PgPool {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy(url)
        .expect("a PostgreSQL URL");
    let mut opened = Vec::new();
    for _ in 0..10 {
        opened.push(pool.acquire().await.expect("connect to PostgreSQL"));
    }
    drop(opened);
    pool
}

async fn run(settings: &Settings) {
    let admin = pool(&settings.pg).await;
    for fleet in [Fleet::Spread, Fleet::Naive] {
        sqlx::query(fleet.create())
            .execute(&admin)
            .await
            .expect("create the table");
    }
    // Each fleet its own pool, as each replica has its own.
    let pools = [pool(&settings.pg).await, pool(&settings.pg).await];
    let started = epoch_now();
    let handles: Vec<Health> = [Fleet::Spread, Fleet::Naive]
        .into_iter()
        .zip(&pools)
        .flat_map(|(fleet, pool)| {
            (0..settings.replicas).map(move |n| replica(pool, fleet, n, settings.period))
        })
        .collect();
    let _routers: Vec<axum::Router> = handles.iter().map(Health::router).collect();
    let observed = settings.period * 3;
    tokio::time::sleep(observed).await;
    // Whole seconds: the last window counted is a full one.
    let seconds = observed.as_secs_f64().floor();
    let mut means = [0.0; 2];
    for (i, fleet) in [Fleet::Spread, Fleet::Naive].into_iter().enumerate() {
        let (peak, runs) = windows(&admin, fleet, started, started + seconds).await;
        means[i] = runs as f64 / seconds;
        report("start", fleet, peak, means[i]);
    }

    drop(admin);
    shell(&settings.stop);
    tokio::time::sleep(settings.outage).await;
    // From just before the start: no run can reach the database earlier.
    let back = epoch_now();
    shell(&settings.start);
    tokio::time::sleep(settings.period * 5).await;
    let admin = pool(&settings.pg).await;
    for (i, fleet) in [Fleet::Spread, Fleet::Naive].into_iter().enumerate() {
        let to = back + (settings.period * 5).as_secs_f64();
        let (peak, _) = windows(&admin, fleet, back, to).await;
        report("outage", fleet, peak, means[i]);
    }
    drop(handles);
}

fn report(span: &str, fleet: Fleet, peak: usize, mean: f64) {
    let name = match fleet {
        Fleet::Spread => "spread",
        Fleet::Naive => "naive",
    };
    println!("{span} {name} {peak} {mean:.1} {:.2}", peak as f64 / mean);
}
