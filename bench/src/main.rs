//! The server `scripts/bench` loads: every library endpoint beside its hand-written
//! baseline, in one process, each on its own loopback port.
//!
//! ```text
//! bench-server --port BASE [--memory] [--pg URL --redis URL --frozen-redis URL]
//! bench-server --port BASE --history | --history-rss on|off
//! bench-server --port BASE --soak --pg URL --redis URL
//! ```
//!
//! | port | serves |
//! |---|---|
//! | BASE | baselines: `/health` (bare route), `/ready/{1,10,100}`, `/ready/real`, `/ready/frozen`; and `/stats` |
//! | BASE+1, +2, +3 | the library with 1, 10, 100 in-process checks (`/health`, `/health/ready`) |
//! | BASE+4, +5, +6 | the library with the real checks: uncached, cached (TTL 1 s), background (1 s, from `GET BASE/start/background` on) |
//! | BASE+7 | the library with a Redis `PING` to the server the benchmark freezes, and a flag |
//! | BASE+9 | the tiny upstream the HTTP checks `GET` |
//! | BASE+10, +11, +12 | figure 10: an Azure OpenAI check with a key, with a cached Entra ID token, and their model list ([`azure`]) |
//! | BASE+21 … +31 | the library router of BASE+1 … +11 (not +7, +9), served by `health_runtime::serve` with its defaults, as the README deploys it ([`SERVED`]); its connection counters on `/stats` (`serve.PORT.*`) |
//!
//! `SIGTERM` ends the process at once (`health_runtime::serve` alone would drain first).
//!
//! With `--history` or `--history-rss on|off`, only figure 9's servers (see `operator.rs`;
//! with `--history`, BASE+21 … +24 too). With `--soak`, only the servers of figures 12 and
//! 14 (see `soak.rs`).
//!
//! With `--memory` only the in-process endpoints are served (no backend), so that resident
//! memory reflects them alone, and `/stats` also counts the requests answered
//! (`requests.lib`, `requests.base`).

mod azure;
mod baseline;
mod counters;
mod library;
mod operator;
mod soak;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::routing::get;
use health_runtime::Health;
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
/// The library's routers served by `health_runtime::serve` are on their `axum::serve`
/// port plus this.
pub const SERVED: u16 = 20;

struct Args {
    port: u16,
    memory: bool,
    /// Figure 9: the history pairs, or the filled process with history on or off.
    history: bool,
    history_rss: Option<bool>,
    /// Figures 12 and 14: the soak servers only (see `soak.rs`).
    soak: bool,
    pg: Option<String>,
    redis: Option<String>,
    frozen_redis: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        port: 18100,
        memory: false,
        history: false,
        history_rss: None,
        soak: false,
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
            "--history" => args.history = true,
            "--soak" => args.soak = true,
            "--history-rss" => args.history_rss = Some(value() == "on"),
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

async fn bind(port: u16) -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| panic!("bind 127.0.0.1:{port}: {error}"))
}

/// Serves `app` on `port` with `axum::serve`.
async fn listen(port: u16, app: Router) {
    let listener = bind(port).await;
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
}

/// Serves `app` on `port` with `health_runtime::serve`, its defaults as the README deploys
/// it, and its connection counters on `/stats` as `serve.PORT.*`.
async fn listen_served(port: u16, app: Router, health: &Health, counters: &Counters) {
    let server = health_runtime::serve(bind(port).await, app, health);
    counters.serve(&format!("serve.{port}"), server.counters());
    tokio::spawn(async move { server.await.expect("serve") });
}

/// A library router on `port` with `axum::serve` and on `port + SERVED` with
/// `health_runtime::serve`.
async fn listen_both(port: u16, app: Router, health: &Health, counters: &Counters) {
    listen(port, app.clone()).await;
    listen_served(port + SERVED, app, health, counters).await;
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

/// The baseline router (every hand-written endpoint, on the base port) as it is built up,
/// beside the library's routers on their own ports.
struct Bench {
    args: Args,
    counters: Counters,
    /// The in-memory flag every check and handler reads.
    up: Arc<AtomicBool>,
    baseline: Router,
}

async fn serve(args: Args) {
    let memory = args.memory;
    if let Some(history) = args.history_rss {
        operator::filled(args.port, history).await;
        return exit_on_sigterm().await;
    }
    if args.history {
        let counters = Counters::default();
        let up = Arc::new(AtomicBool::new(true));
        operator::history_pairs(args.port, &up, &counters).await;
        println!("bench-server ready on 127.0.0.1:{}", args.port);
        return exit_on_sigterm().await;
    }
    let mut bench = Bench {
        args,
        counters: Counters::default(),
        up: Arc::new(AtomicBool::new(true)),
        baseline: Router::new().route("/health", get(baseline::alive)),
    };
    if bench.args.soak {
        let url = bench.upstream().await;
        let clients = bench.clients(&url).await;
        let real = |side: &str| bench.real_counters(side);
        soak::serve(bench.args.port, &clients, &real, &bench.counters, &bench.up).await;
        bench.listen_baseline().await;
        return exit_on_sigterm().await;
    }
    bench.in_process().await;
    if !memory {
        let url = bench.upstream().await;
        bench.real(url).await;
        bench.frozen().await;
        azure::serve(bench.args.port, &bench.counters, TIMEOUT).await;
    }
    bench.listen_baseline().await;
    exit_on_sigterm().await;
}

/// `health_runtime::serve` turns SIGTERM into a drain: the benchmark's own servers exit at
/// once instead, as they did on `axum::serve` alone.
async fn exit_on_sigterm() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        term.recv().await;
        std::process::exit(0);
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await;
}

impl Bench {
    fn route(&mut self, path: &str, route: axum::routing::MethodRouter) {
        self.baseline = std::mem::take(&mut self.baseline).route(path, route);
    }

    /// Readiness over 1, 10 and 100 in-memory checks, library and hand-written.
    async fn in_process(&mut self) {
        for (offset, n) in [(1, 1), (2, 10), (3, 100)] {
            let names: Vec<&'static str> = (0..n)
                .map(|i| &*Box::leak(format!("check_{i:03}").into_boxed_str()))
                .collect();
            let state = Arc::new(InProcess {
                names: names.clone(),
                flag: Arc::clone(&self.up),
                counter: self.counters.get(&format!("base.in_process.{n}")),
                timeout: TIMEOUT,
            });
            self.route(
                &format!("/ready/{n}"),
                get(baseline::ready_in_process).with_state(state),
            );
            let counter = self.counters.get(&format!("lib.in_process.{n}"));
            let health = library::in_process(&names, &counter, &self.up, TIMEOUT);
            let mut router = health.router();
            if self.args.memory {
                router = counted(router, self.counters.get("requests.lib"));
            }
            listen_both(self.args.port + offset, router, &health, &self.counters).await;
            if n == 10 {
                // The same 10 checks with thresholds (3 failures, 2 successes), on both
                // sides.
                let damped = Arc::new(baseline::Damped {
                    checks: InProcess {
                        names: names.clone(),
                        flag: Arc::clone(&self.up),
                        counter: self.counters.get("base.in_process.thresholds"),
                        timeout: TIMEOUT,
                    },
                    streaks: names.iter().map(|_| Default::default()).collect(),
                    failures: 3,
                    successes: 2,
                });
                self.route(
                    "/ready/thresholds",
                    get(baseline::ready_damped).with_state(damped),
                );
                let counter = self.counters.get("lib.in_process.thresholds");
                let health = library::in_process_counted(&names, &counter, &self.up, TIMEOUT, 3, 2);
                listen_both(self.args.port + 8, health.router(), &health, &self.counters).await;
            }
        }
    }

    /// The HTTP dependency of the real checks, counting the calls it gets.
    async fn upstream(&self) -> axum::http::Uri {
        let upstream_counter = self.counters.get("upstream.http");
        let upstream = Router::new().route(
            "/",
            get(move || {
                let _served = upstream_counter.enter();
                async { "ok" }
            }),
        );
        listen(self.args.port + 9, upstream).await;
        format!("http://127.0.0.1:{}/", self.args.port + 9)
            .parse()
            .expect("upstream URL")
    }

    async fn clients(&self, url: &axum::http::Uri) -> Clients {
        let pg_url = self.args.pg.as_deref().expect("--pg URL");
        let redis_url = self.args.redis.as_deref().expect("--redis URL");
        Clients {
            pg: PgPoolOptions::new()
                .max_connections(PG_POOL)
                .connect(pg_url)
                .await
                .expect("connect to postgres"),
            redis: redis_manager(redis_url).await,
            http: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
            url: url.clone(),
        }
    }

    fn real_counters(&self, side: &str) -> RealCounters {
        RealCounters {
            pg: self.counters.get(&format!("{side}.postgres")),
            redis: self.counters.get(&format!("{side}.redis")),
            http: self.counters.get(&format!("{side}.http")),
            flag: self.counters.get(&format!("{side}.flag")),
        }
    }

    /// Readiness over PostgreSQL, Redis, HTTP and a flag: hand-written, and the library
    /// uncached, cached and refreshed in the background.
    async fn real(&mut self, url: axum::http::Uri) {
        let state = Arc::new(Real {
            clients: self.clients(&url).await,
            counters: self.real_counters("base.real"),
            flag: Arc::clone(&self.up),
            timeout: TIMEOUT,
        });
        self.route("/ready/real", get(baseline::ready_real).with_state(state));

        let lib_clients = self.clients(&url).await;
        for (offset, side, reuse) in [
            (4, "lib.real", Reuse::Uncached),
            (5, "lib.cached", Reuse::Ttl(Duration::from_secs(1))),
        ] {
            let counters = self.real_counters(side);
            let health = library::real(&lib_clients, &counters, &self.up, TIMEOUT, reuse);
            listen_both(
                self.args.port + offset,
                health.router(),
                &health,
                &self.counters,
            )
            .await;
        }
        // Background refresh runs whether or not requests arrive: it starts on demand, so
        // that the backend calls counted in the other phases are theirs alone.
        let background = library::real(
            &lib_clients,
            &self.real_counters("lib.background"),
            &self.up,
            TIMEOUT,
            Reuse::Background(Duration::from_secs(1)),
        );
        let port = self.args.port + 6;
        let started = Arc::new(AtomicBool::new(false));
        let counters = self.counters.clone();
        self.route(
            "/start/background",
            get(move || async move {
                if !started.swap(true, Ordering::AcqRel) {
                    listen_both(port, background.router(), &background, &counters).await;
                }
                "started"
            }),
        );
    }

    /// Readiness over a Redis that never answers (SIGSTOP) and a flag.
    async fn frozen(&mut self) {
        let frozen_url = self.args.frozen_redis.clone().expect("--frozen-redis URL");
        let base_frozen = Arc::new(Frozen {
            redis: redis_manager(&frozen_url).await,
            redis_counter: self.counters.get("base.frozen.redis"),
            flag_counter: self.counters.get("base.frozen.flag"),
            flag: Arc::clone(&self.up),
            timeout: FROZEN_TIMEOUT,
        });
        self.route(
            "/ready/frozen",
            get(baseline::ready_frozen).with_state(base_frozen),
        );
        let health = library::frozen(
            &redis_manager(&frozen_url).await,
            &self.counters.get("lib.frozen.redis"),
            &self.counters.get("lib.frozen.flag"),
            &self.up,
            FROZEN_TIMEOUT,
        );
        listen(self.args.port + 7, health.router()).await;
    }

    /// The counters at `/stats`, then the baseline router on the base port.
    async fn listen_baseline(mut self) {
        let stats = self.counters.clone();
        self.route(
            "/stats",
            get(move || {
                let text = stats.render();
                async move { text }
            }),
        );
        let mut baseline = self.baseline;
        if self.args.memory {
            baseline = counted(baseline, self.counters.get("requests.base"));
        }
        listen(self.args.port, baseline).await;
        println!("bench-server ready on 127.0.0.1:{}", self.args.port);
    }
}
