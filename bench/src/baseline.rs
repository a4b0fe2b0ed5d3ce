//! The baselines: what a careful user writes by hand with axum and tokio, without the
//! library. Each produces the same JSON as the library (`status`, and per check `healthy`,
//! `latency_ms` and `error`), runs its checks concurrently and bounds each by a timeout.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use http_body_util::Empty;
use hyper::Request;
use hyper::body::Bytes;
use redis::aio::ConnectionManager;
use serde::{Serialize, Serializer};
use sqlx::PgPool;

use crate::counters::Counter;

/// The plain-HTTP client of the HTTP check, on both sides.
pub type HttpClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Empty<Bytes>,
>;

#[derive(Serialize)]
pub struct Alive {
    status: &'static str,
}

/// A bare liveness route: `{"status":"alive"}`.
pub async fn alive() -> Json<Alive> {
    Json(Alive { status: "alive" })
}

/// One check's entry in a hand-written report.
#[derive(Serialize)]
pub struct Entry {
    healthy: bool,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `check` under `timeout`, timing it.
pub async fn timed<F>(timeout: Duration, check: F) -> Entry
where
    F: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let result = tokio::time::timeout(timeout, check).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(Ok(())) => Entry {
            healthy: true,
            latency_ms,
            error: None,
        },
        Ok(Err(error)) => Entry {
            healthy: false,
            latency_ms,
            error: Some(error),
        },
        Err(_) => Entry {
            healthy: false,
            latency_ms,
            error: Some(format!("Timeout after {}ms", timeout.as_millis())),
        },
    }
}

struct Checks<'a, E>(&'a [(&'static str, E)]);

impl<E: Serialize> Serialize for Checks<'_, E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, entry)| (name, entry)))
    }
}

#[derive(Serialize)]
struct Readiness<'a, E> {
    status: &'static str,
    checks: Checks<'a, E>,
}

/// 200 `ready` when every check passed, else 503 `not_ready`.
pub fn report(entries: &[(&'static str, Entry)]) -> Response {
    report_of(entries, |entry| entry.healthy)
}

fn report_of<E: Serialize>(
    entries: &[(&'static str, E)],
    healthy: impl Fn(&E) -> bool,
) -> Response {
    let (code, status) = if entries.iter().all(|(_, entry)| healthy(entry)) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    let checks = Checks(entries);
    (code, Json(Readiness { status, checks })).into_response()
}

/// The same in-process checks with flap damping by hand: a check counts as unhealthy
/// after `failures` consecutive failed runs and healthy again after `successes` good
/// ones, and its entry shows the raw last result and the streaks, as the library's does.
pub struct Damped {
    pub checks: InProcess,
    pub streaks: Vec<Mutex<Streak>>,
    pub failures: u32,
    pub successes: u32,
}

/// One check's streaks, and the status they counted last.
#[derive(Default)]
pub struct Streak {
    counted: Option<bool>,
    failures: u32,
    successes: u32,
}

#[derive(Serialize)]
pub struct DampedEntry {
    healthy: bool,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    last_result: &'static str,
    consecutive_failures: u32,
    consecutive_successes: u32,
}

/// `join_all` of the N damped checks, each under its timeout.
pub async fn ready_damped(State(state): State<Arc<Damped>>) -> Response {
    let state = &*state;
    let checks = &state.checks;
    let runs = checks
        .names
        .iter()
        .zip(&state.streaks)
        .map(|(&name, streak)| async move {
            let entry = timed(checks.timeout, flag_check(&checks.counter, &checks.flag)).await;
            let mut streak = streak.lock().unwrap_or_else(|poison| poison.into_inner());
            if entry.healthy {
                streak.successes += 1;
                streak.failures = 0;
            } else {
                streak.failures += 1;
                streak.successes = 0;
            }
            let healthy = match streak.counted {
                Some(false) if entry.healthy && streak.successes < state.successes => false,
                Some(true) if !entry.healthy && streak.failures < state.failures => true,
                _ => entry.healthy,
            };
            streak.counted = Some(healthy);
            let damped = DampedEntry {
                healthy,
                latency_ms: entry.latency_ms,
                last_result: if entry.healthy {
                    "healthy"
                } else {
                    "unhealthy"
                },
                error: entry.error,
                consecutive_failures: streak.failures,
                consecutive_successes: streak.successes,
            };
            (name, damped)
        });
    let entries = join_all(runs).await;
    report_of(&entries, |entry| entry.healthy)
}

/// The in-process check of both sides: a flag, counted.
pub async fn flag_check(counter: &Counter, flag: &AtomicBool) -> Result<(), String> {
    let _running = counter.enter();
    if flag.load(Ordering::Relaxed) {
        Ok(())
    } else {
        Err("flag is down".to_owned())
    }
}

/// N in-process checks.
pub struct InProcess {
    pub names: Vec<&'static str>,
    pub flag: Arc<AtomicBool>,
    pub counter: Arc<Counter>,
    pub timeout: Duration,
}

/// `join_all` of the N checks, each under its timeout.
pub async fn ready_in_process(State(state): State<Arc<InProcess>>) -> Response {
    let state = &*state;
    let runs = state.names.iter().map(|&name| async move {
        let entry = timed(state.timeout, flag_check(&state.counter, &state.flag)).await;
        (name, entry)
    });
    let entries = join_all(runs).await;
    report(&entries)
}

/// The clients of the real checks.
#[derive(Clone)]
pub struct Clients {
    pub pg: PgPool,
    pub redis: ConnectionManager,
    pub http: HttpClient,
    pub url: Uri,
}

/// The counters of the real checks.
#[derive(Clone)]
pub struct RealCounters {
    pub pg: Arc<Counter>,
    pub redis: Arc<Counter>,
    pub http: Arc<Counter>,
    pub flag: Arc<Counter>,
}

/// Postgres `SELECT 1`, Redis `PING`, HTTP `GET` and a flag.
pub struct Real {
    pub clients: Clients,
    pub counters: RealCounters,
    pub flag: Arc<AtomicBool>,
    pub timeout: Duration,
}

pub async fn select_one(pool: &PgPool) -> Result<(), String> {
    sqlx::raw_sql("SELECT 1")
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|error| format!("postgres: {error}"))
}

pub async fn ping(connection: &ConnectionManager) -> Result<(), String> {
    let reply: String = redis::cmd("PING")
        .query_async(&mut connection.clone())
        .await
        .map_err(|error| format!("redis: {error}"))?;
    if reply == "PONG" {
        Ok(())
    } else {
        Err(format!("redis: PING answered {reply:?}"))
    }
}

pub async fn http_get(client: &HttpClient, url: &Uri) -> Result<(), String> {
    let request = Request::get(url.clone())
        .body(Empty::new())
        .map_err(|error| format!("{url}: {error}"))?;
    let response = client
        .request(request)
        .await
        .map_err(|error| format!("{url}: {error}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {}", response.status()))
    }
}

/// `tokio::join!` of the four checks, each under its timeout.
pub async fn ready_real(State(state): State<Arc<Real>>) -> Response {
    let Real {
        clients,
        counters,
        flag,
        timeout,
    } = &*state;
    let (pg, redis, http, flag) = tokio::join!(
        timed(*timeout, async {
            let _running = counters.pg.enter();
            select_one(&clients.pg).await
        }),
        timed(*timeout, async {
            let _running = counters.redis.enter();
            ping(&clients.redis).await
        }),
        timed(*timeout, async {
            let _running = counters.http.enter();
            http_get(&clients.http, &clients.url).await
        }),
        timed(*timeout, flag_check(&counters.flag, flag)),
    );
    report(&[
        ("postgres", pg),
        ("redis", redis),
        ("http", http),
        ("flag", flag),
    ])
}

/// A Redis `PING` (to the server the benchmark freezes) and a flag.
pub struct Frozen {
    pub redis: ConnectionManager,
    pub redis_counter: Arc<Counter>,
    pub flag_counter: Arc<Counter>,
    pub flag: Arc<AtomicBool>,
    pub timeout: Duration,
}

pub async fn ready_frozen(State(state): State<Arc<Frozen>>) -> Response {
    let (redis, flag) = tokio::join!(
        timed(state.timeout, async {
            let _running = state.redis_counter.enter();
            ping(&state.redis).await
        }),
        timed(state.timeout, flag_check(&state.flag_counter, &state.flag)),
    );
    report(&[("redis", redis), ("flag", flag)])
}
