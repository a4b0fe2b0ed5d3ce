//! A fleet of 50 replicas (50 `Health` handles, each named as a pod) refreshing one check
//! in the background against one private PostgreSQL: started together, their runs are
//! spread over the period rather than arriving at once; and when the database comes back
//! after an outage (killed, restarted on the same port), their first runs are spread too.
//!
//! Under a cache TTL instead, with probes arriving all the time, the replicas' results
//! expire at different instants, so their runs spread over the TTL as well.
//!
//! Every run of the check inserts a row whose time the database stamps itself
//! (`clock_timestamp()`), so the times counted are the ones the database saw.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use health_runtime::{Check, Health, HealthBuilder};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tests::dependency::Dependency;
use tests::http::TestServer;
use tests::postgres_server::PostgresServer;
use tests::secrets::SECRET_PASSWORD;

const REPLICAS: usize = 50;
const PERIOD: Duration = Duration::from_secs(2);
/// The width of the windows runs are counted in: a tenth of the period.
const WINDOW: f64 = 0.2;

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn replica(pool: &PgPool, addr: SocketAddr, n: usize) -> Health {
    replica_with(pool, addr, n, |builder| builder.background(PERIOD))
}

fn replica_with(
    pool: &PgPool,
    addr: SocketAddr,
    n: usize,
    reuse: impl FnOnce(HealthBuilder) -> HealthBuilder,
) -> Health {
    let pool = pool.clone();
    let check = Check::new("postgres", move || {
        let pool = pool.clone();
        async move {
            // Refused at once while the database is down, as a replica's own client is,
            // rather than waiting in the shared pool's retry of refused connections.
            tokio::net::TcpStream::connect(addr).await?;
            sqlx::query("INSERT INTO probe_runs (replica) VALUES ($1)")
                .bind(n as i32)
                .execute(&pool)
                .await
                .map(|_| ())
                .map_err(std::io::Error::other)
        }
    });
    let builder = Health::builder()
        .without_registered()
        .check(check)
        .replica_identity(format!("pod-{n}"));
    reuse(builder).build().unwrap()
}

/// Every run the database recorded: `(replica, epoch seconds)`, in time order.
async fn runs(pool: &PgPool) -> Vec<(i32, f64)> {
    sqlx::query_as("SELECT replica, extract(epoch FROM at)::float8 FROM probe_runs ORDER BY at")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// How many of `times` fall in each window of [`WINDOW`] seconds from `from`.
fn windows(times: impl IntoIterator<Item = f64>, from: f64) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for time in times {
        *counts
            .entry(((time - from) / WINDOW).floor() as i64)
            .or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_started_together_and_recovering_together_spreads_its_runs() {
    let mut postgres = PostgresServer::start(SECRET_PASSWORD);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&postgres.url())
        .await
        .unwrap();
    // The fleet's, its connections opened ahead, one at a time.
    let fleet_pool = PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_millis(900))
        .connect_lazy(&postgres.url())
        .unwrap();
    let mut opened = Vec::new();
    while opened.len() < 20 {
        if let Ok(connection) = fleet_pool.acquire().await {
            opened.push(connection);
        }
    }
    drop(opened);
    sqlx::query(
        "CREATE TABLE probe_runs (replica int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())",
    )
    .execute(&pool)
    .await
    .unwrap();

    // Started together: 50 handles whose refresh starts with their routers, at once.
    let started = epoch_now();
    let fleet: Vec<Health> = (0..REPLICAS)
        .map(|n| replica(&fleet_pool, postgres.addr(), n))
        .collect();
    let _routers: Vec<axum::Router> = fleet.iter().map(Health::router).collect();
    tokio::time::sleep(PERIOD * 3).await;

    let steady = runs(&pool).await;
    let mut first_runs = BTreeMap::new();
    for (replica, at) in &steady {
        first_runs.entry(*replica).or_insert(*at);
    }
    let counts = windows(first_runs.values().copied(), started);
    let busiest = counts.values().copied().max().unwrap_or(0);
    println!("first runs, per {WINDOW} s window: {counts:?}");
    // Spread evenly, 5 a window; together, all 50 would land in one.
    assert!(
        busiest <= REPLICAS * 3 / 10,
        "{busiest} of {REPLICAS} first runs in one {WINDOW} s window: {counts:?}"
    );
    assert_eq!(first_runs.len(), REPLICAS, "every replica ran: {counts:?}");
    assert!(
        first_runs
            .values()
            .all(|at| *at < started + PERIOD.as_secs_f64() + 0.5),
        "a first run came after its period: {counts:?}"
    );
    assert!(
        counts.len() >= 8,
        "the first runs cover {} of the period's 10 windows: {counts:?}",
        counts.len()
    );
    // Spread, not thinned: the fleet still runs its check once a period per replica.
    let per_replica = steady.len() as f64 / REPLICAS as f64;
    assert!(
        (2.0..=4.0).contains(&per_replica),
        "{per_replica} runs per replica in 3 periods"
    );

    // An outage: the database dies, the fleet's runs fail and back off; then it comes
    // back on the same port.
    postgres.kill();
    tokio::time::sleep(PERIOD * 3).await;
    postgres.restart();
    let restarted = epoch_now();

    let deadline = Instant::now() + Duration::from_secs(25);
    let recovered = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(rows) = sqlx::query_as::<_, (i32, f64)>(
            "SELECT replica, min(extract(epoch FROM at))::float8 FROM probe_runs \
             WHERE at >= to_timestamp($1) GROUP BY replica",
        )
        .bind(restarted)
        .fetch_all(&pool)
        .await
        else {
            continue;
        };
        if rows.len() == REPLICAS || Instant::now() > deadline {
            break rows;
        }
    };
    assert_eq!(
        recovered.len(),
        REPLICAS,
        "only {} replicas ran their check again after the outage",
        recovered.len()
    );
    let first_after: Vec<f64> = recovered.iter().map(|(_, at)| *at).collect();
    let counts = windows(first_after.iter().copied(), restarted);
    let busiest = counts.values().copied().max().unwrap_or(0);
    let span = first_after.iter().copied().fold(f64::MIN, f64::max)
        - first_after.iter().copied().fold(f64::MAX, f64::min);
    println!("first runs after the outage, per {WINDOW} s window: {counts:?} over {span:.2} s");
    // Together, every replica would come back in the same instant.
    assert!(
        busiest <= REPLICAS * 3 / 10,
        "{busiest} of {REPLICAS} replicas came back in one {WINDOW} s window: {counts:?}"
    );
    assert!(
        span >= PERIOD.as_secs_f64() * 0.8,
        "the replicas came back within {span:.2} s"
    );
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_results_of_a_fleet_under_constant_probes_expire_spread() {
    let postgres = PostgresServer::start(SECRET_PASSWORD);
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(&postgres.url())
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE probe_runs (replica int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let fleet: Vec<Health> = (0..REPLICAS)
        .map(|n| {
            replica_with(&pool, postgres.addr(), n, |builder| {
                builder.cache_ttl(PERIOD)
            })
        })
        .collect();
    let mut servers = Vec::new();
    for health in &fleet {
        servers.push(TestServer::start(health.router()).await);
    }

    // Probes all the time: every replica asked every 100 ms, for three TTLs.
    let started = epoch_now();
    let until = Instant::now() + PERIOD * 3;
    while Instant::now() < until {
        for server in &servers {
            assert_eq!(server.get("/health/ready").await.status, 200);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every replica ran at once on its first probe; its second run is where the spread
    // shows: without it, all 50 results would expire together one TTL later.
    let mut second_runs = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (replica, at) in runs(&pool).await {
        if !seen.insert(replica) {
            second_runs.entry(replica).or_insert(at);
        }
    }
    let counts = windows(second_runs.values().copied(), started);
    let busiest = counts.values().copied().max().unwrap_or(0);
    println!("second runs, per {WINDOW} s window: {counts:?}");
    assert!(
        busiest <= REPLICAS * 3 / 10,
        "{busiest} of {REPLICAS} results expired in one {WINDOW} s window: {counts:?}"
    );
    assert_eq!(
        second_runs.len(),
        REPLICAS,
        "every result expired: {counts:?}"
    );
    assert!(
        counts.len() >= 7,
        "the second runs cover {} windows of the TTL's 10: {counts:?}",
        counts.len()
    );
}
