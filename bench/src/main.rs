//! The server `scripts/bench` loads: every library endpoint beside its hand-written
//! baseline, in one process, each on its own loopback port.
//!
//! ```text
//! bench-server --port BASE [--memory] [--pg URL --redis URL --frozen-redis URL]
//! ```
//!
//! | port | serves |
//! |---|---|
//! | BASE | baselines: `/health` (bare route), `/ready/{1,10,100}`, `/ready/real`, `/ready/frozen`; and `/stats` |
//! | BASE+1, +2, +3 | the library with 1, 10, 100 in-process checks (`/health`, `/health/ready`) |
//! | BASE+4, +5, +6 | the library with the real checks: uncached, cached (TTL 1 s), background (1 s, from `GET BASE/start/background` on) |
//! | BASE+7 | the library with a Redis `PING` to the server the benchmark freezes, and a flag |
//! | BASE+9 | the tiny upstream the HTTP checks `GET` |
//!
//! With `--memory` only the in-process endpoints are served (no backend), so that resident
//! memory reflects them alone, and `/stats` also counts the requests answered
//! (`requests.lib`, `requests.base`).

mod baseline;
mod counters;
mod library;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::routing::get;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sqlx::postgres::PgPoolOptions;

use crate::baseline::{Clients, Frozen, InProcess, Real, RealCounters};
use crate::counters::{Counter, Counters};
use crate::library::Reuse;

/// Every check's timeout, on both sides; the frozen Redis check's is [`FROZEN_TIMEOUT`].
const TIMEOUT: Duration = Duration::from_millis(1000);
/// The timeout of the check of the frozen Redis: the bound readiness latency is held to.
const FROZEN_TIMEOUT: Duration = Duration::from_millis(500);
/// Connections of each side's Postgres pool.
const PG_POOL: u32 = 10;

struct Args {
    port: u16,
    memory: bool,
    pg: Option<String>,
    redis: Option<String>,
    frozen_redis: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        port: 18100,
        memory: false,
        pg: None,
        redis: None,
        frozen_redis: None,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = || argv.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => args.port = value().parse().expect("--port is a port number"),
            "--memory" => args.memory = true,
            "--pg" => args.pg = Some(value()),
            "--redis" => args.redis = Some(value()),
            "--frozen-redis" => args.frozen_redis = Some(value()),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

fn main() {
    let args = args();
    // One worker: the driver pins the process to one core.
    let workers = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(serve(args));
}

async fn listen(port: u16, app: Router) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| panic!("bind 127.0.0.1:{port}: {error}"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
}

/// Counts the requests `router` answers (runs of the library's checks are shared by
/// concurrent requests, so they do not count requests).
fn counted(router: Router, counter: Arc<Counter>) -> Router {
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            counter.enter();
            next.run(request)
        },
    ))
}

async fn redis_manager(url: &str) -> ConnectionManager {
    let client = redis::Client::open(url).expect("redis URL");
    // No response timeout of the client's own: the check's timeout is what bounds a run.
    let config = ConnectionManagerConfig::new().set_response_timeout(None);
    ConnectionManager::new_with_config(client, config)
        .await
        .expect("connect to redis")
}

async fn serve(args: Args) {
    let counters = Counters::default();
    let up = Arc::new(AtomicBool::new(true));
    let mut baseline = Router::new().route("/health", get(baseline::alive));

    for (offset, n) in [(1, 1), (2, 10), (3, 100)] {
        let names: Vec<&'static str> = (0..n)
            .map(|i| &*Box::leak(format!("check_{i:03}").into_boxed_str()))
            .collect();
        let state = Arc::new(InProcess {
            names: names.clone(),
            flag: Arc::clone(&up),
            counter: counters.get(&format!("base.in_process.{n}")),
            timeout: TIMEOUT,
        });
        baseline = baseline.route(
            &format!("/ready/{n}"),
            get(baseline::ready_in_process).with_state(state),
        );
        let counter = counters.get(&format!("lib.in_process.{n}"));
        let health = library::in_process(&names, &counter, &up, TIMEOUT);
        let mut router = health.router();
        if args.memory {
            router = counted(router, counters.get("requests.lib"));
        }
        listen(args.port + offset, router).await;
    }

    if !args.memory {
        let upstream_counter = counters.get("upstream.http");
        let upstream = Router::new().route(
            "/",
            get(move || {
                let _served = upstream_counter.enter();
                async { "ok" }
            }),
        );
        listen(args.port + 9, upstream).await;
        let url: axum::http::Uri = format!("http://127.0.0.1:{}/", args.port + 9)
            .parse()
            .expect("upstream URL");

        let pg_url = args.pg.as_deref().expect("--pg URL");
        let redis_url = args.redis.as_deref().expect("--redis URL");
        let frozen_url = args.frozen_redis.as_deref().expect("--frozen-redis URL");
        let clients = || async {
            Clients {
                pg: PgPoolOptions::new()
                    .max_connections(PG_POOL)
                    .connect(pg_url)
                    .await
                    .expect("connect to postgres"),
                redis: redis_manager(redis_url).await,
                http: hyper_util::client::legacy::Client::builder(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .build_http(),
                url: url.clone(),
            }
        };
        let real_counters = |side: &str| RealCounters {
            pg: counters.get(&format!("{side}.postgres")),
            redis: counters.get(&format!("{side}.redis")),
            http: counters.get(&format!("{side}.http")),
            flag: counters.get(&format!("{side}.flag")),
        };

        let state = Arc::new(Real {
            clients: clients().await,
            counters: real_counters("base.real"),
            flag: Arc::clone(&up),
            timeout: TIMEOUT,
        });
        baseline = baseline.route("/ready/real", get(baseline::ready_real).with_state(state));

        let lib_clients = clients().await;
        for (offset, side, reuse) in [
            (4, "lib.real", Reuse::Uncached),
            (5, "lib.cached", Reuse::Ttl(Duration::from_secs(1))),
        ] {
            let health = library::real(&lib_clients, &real_counters(side), &up, TIMEOUT, reuse);
            listen(args.port + offset, health.router()).await;
        }
        // Background refresh runs whether or not requests arrive: it starts on demand, so
        // that the backend calls counted in the other phases are theirs alone.
        let background = library::real(
            &lib_clients,
            &real_counters("lib.background"),
            &up,
            TIMEOUT,
            Reuse::Background(Duration::from_secs(1)),
        );
        let port = args.port + 6;
        let started = Arc::new(AtomicBool::new(false));
        baseline = baseline.route(
            "/start/background",
            get(move || async move {
                if !started.swap(true, Ordering::AcqRel) {
                    listen(port, background.router()).await;
                }
                "started"
            }),
        );

        let base_frozen = Arc::new(Frozen {
            redis: redis_manager(frozen_url).await,
            redis_counter: counters.get("base.frozen.redis"),
            flag_counter: counters.get("base.frozen.flag"),
            flag: Arc::clone(&up),
            timeout: FROZEN_TIMEOUT,
        });
        baseline = baseline.route(
            "/ready/frozen",
            get(baseline::ready_frozen).with_state(base_frozen),
        );
        let health = library::frozen(
            &redis_manager(frozen_url).await,
            &counters.get("lib.frozen.redis"),
            &counters.get("lib.frozen.flag"),
            &up,
            FROZEN_TIMEOUT,
        );
        listen(args.port + 7, health.router()).await;
    }

    let stats = counters.clone();
    baseline = baseline.route(
        "/stats",
        get(move || {
            let text = stats.render();
            async move { text }
        }),
    );
    if args.memory {
        baseline = counted(baseline, counters.get("requests.base"));
    }
    listen(args.port, baseline).await;
    println!("bench-server ready on 127.0.0.1:{}", args.port);
    std::future::pending::<()>().await;
}
