//! The gRPC health service (`grpc.health.v1`) through a real tonic server and tonic's own
//! client: every service name against the HTTP route it mirrors, the codes of unknown
//! names, the gates of single-check services, shutdown (every service `NOT_SERVING` at
//! once, streams included), `Watch` driven by background refresh and by its period, `List`,
//! and the runs, cache and startup latch it shares with the HTTP router of the same handle.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use health_runtime::grpc::HealthService;
use health_runtime::grpc::pb::{
    HealthCheckRequest, HealthListRequest, HealthListResponse, ServingStatus,
};
use health_runtime::{Check, Health, HealthBuilder, Probe};
use tests::http::TestServer;
use tokio::task::JoinHandle;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Streaming};
use tonic_health::pb::HealthCheckResponse;
use tonic_health::pb::health_client::HealthClient;

const SERVING: ServingStatus = ServingStatus::Serving;
const NOT_SERVING: ServingStatus = ServingStatus::NotServing;
/// Longest wait for anything that should happen "at once".
const PROMPTLY: Duration = Duration::from_millis(500);
/// Bound on every other wait.
const BOUND: Duration = Duration::from_secs(10);

/// `service` served by tonic on a free loopback port, stopping on `health`'s shutdown.
struct GrpcServer {
    channel: Channel,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

async fn serve(health: &Health, service: HealthService) -> GrpcServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let task = tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), health.shutdown_signal()),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect to the gRPC server");
    GrpcServer { channel, task }
}

impl GrpcServer {
    fn client(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel.clone())
    }

    async fn check(&self, service: &str) -> Result<ServingStatus, tonic::Status> {
        let request = HealthCheckRequest {
            service: service.to_owned(),
        };
        let response = self.client().check(request).await?.into_inner();
        Ok(status_of(&response))
    }

    async fn status(&self, service: &str) -> ServingStatus {
        self.check(service)
            .await
            .unwrap_or_else(|status| panic!("Check {service:?}: {status:?}"))
    }

    async fn watch(&self, service: &str) -> Streaming<HealthCheckResponse> {
        let request = HealthCheckRequest {
            service: service.to_owned(),
        };
        self.client().watch(request).await.unwrap().into_inner()
    }

    async fn list(&self) -> BTreeMap<String, ServingStatus> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready().await.unwrap();
        let path = PathAndQuery::from_static("/grpc.health.v1.Health/List");
        let codec = tonic_prost::ProstCodec::<HealthListRequest, HealthListResponse>::default();
        let request = tonic::Request::new(HealthListRequest {});
        let response = grpc.unary(request, path, codec).await.unwrap();
        let statuses = response.into_inner().statuses;
        statuses
            .into_iter()
            .map(|(name, response)| (name, status_of(&response)))
            .collect()
    }
}

fn status_of(response: &HealthCheckResponse) -> ServingStatus {
    ServingStatus::try_from(response.status).expect("a ServingStatus")
}

/// The next message of `stream` within `limit`; `None` when the stream ended.
async fn next(
    stream: &mut Streaming<HealthCheckResponse>,
    limit: Duration,
) -> Option<ServingStatus> {
    let message = tokio::time::timeout(limit, stream.message())
        .await
        .expect("a Watch message in time")
        .expect("the Watch stream ends without an error");
    message.as_ref().map(status_of)
}

/// Asserts that `stream` sends nothing for `quiet`.
async fn assert_quiet(stream: &mut Streaming<HealthCheckResponse>, quiet: Duration) {
    if let Ok(message) = tokio::time::timeout(quiet, stream.message()).await {
        panic!("expected no Watch message, got {message:?}");
    }
}

/// A check that passes while `flag` is set, counting its runs.
fn flag_check(name: &'static str, flag: &Arc<AtomicBool>, runs: &Arc<AtomicUsize>) -> Check {
    let (flag, runs) = (Arc::clone(flag), Arc::clone(runs));
    Check::new(name, move || {
        runs.fetch_add(1, Ordering::SeqCst);
        let up = flag.load(Ordering::SeqCst);
        async move { up }
    })
}

fn flag(value: bool) -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(value))
}

/// A model check (startup and readiness), a database check (readiness), a non-critical
/// check that always fails (readiness) and a heartbeat (liveness).
struct Service {
    model: Arc<AtomicBool>,
    db: Arc<AtomicBool>,
    runs: Arc<AtomicUsize>,
}

impl Service {
    fn new() -> Service {
        Service {
            model: flag(false),
            db: flag(true),
            runs: Arc::default(),
        }
    }

    fn builder(&self) -> HealthBuilder {
        Health::builder()
            .without_registered()
            .drain_delay(Duration::from_millis(300))
            .check(
                flag_check("model", &self.model, &self.runs)
                    .probes([Probe::Startup, Probe::Readiness]),
            )
            .check(flag_check("db", &self.db, &self.runs))
            .check(Check::new("optional", || async { false }).critical(false))
            .check(Check::new("heartbeat", || async { true }).probes(Probe::Liveness))
    }

    fn health(&self) -> Health {
        self.builder().build().unwrap()
    }
}

/// The gRPC service names and the HTTP routes they mirror.
const MIRRORS: [(&str, &str); 8] = [
    ("", "/health/ready"),
    ("readiness", "/health/ready"),
    ("liveness", "/health"),
    ("startup", "/health/started"),
    ("model", "/health/ready/model"),
    ("db", "/health/ready/db"),
    ("optional", "/health/ready/optional"),
    ("heartbeat", "/health"),
];

/// Every service name answers SERVING exactly where its HTTP route answers 200.
async fn assert_mirrors_http(grpc: &GrpcServer, http: &TestServer, expected: &[ServingStatus; 8]) {
    for ((service, path), expected) in MIRRORS.iter().zip(expected) {
        let status = grpc.status(service).await;
        assert_eq!(status, *expected, "service {service:?}");
        let code = http.get(path).await.status.as_u16();
        assert_eq!(
            code == 200,
            status == SERVING,
            "{path} answered {code} where {service:?} is {status:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_name_answers_as_its_http_route_would() {
    let service = Service::new();
    let health = service.health();
    let grpc = serve(&health, health.grpc()).await;
    let http = TestServer::start(health.router()).await;

    // Before startup: readiness and everything gated like it fail; liveness passes.
    let (s, n) = (SERVING, NOT_SERVING);
    assert_mirrors_http(&grpc, &http, &[n, n, s, n, n, n, n, s]).await;

    // Started: readiness passes though a non-critical check fails; that check's own
    // service fails, critical or not, as its HTTP route does.
    service.model.store(true, Ordering::SeqCst);
    assert_mirrors_http(&grpc, &http, &[s, s, s, s, s, s, n, s]).await;

    // A dependency down: readiness and that check fail; startup stays latched.
    service.db.store(false, Ordering::SeqCst);
    service.model.store(false, Ordering::SeqCst);
    assert_mirrors_http(&grpc, &http, &[n, n, s, s, n, n, n, s]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_names_are_not_found_on_check_and_service_unknown_on_watch() {
    let service = Service::new();
    let health = service.health();
    let grpc = serve(&health, health.grpc()).await;

    let long = "x".repeat(200);
    for name in ["nope", "Readiness", " db", "db/", long.as_str()] {
        let error = grpc.check(name).await.expect_err("an unknown service");
        assert_eq!(error.code(), Code::NotFound, "{name:?}: {error:?}");
        for check in ["model", "optional", "heartbeat"] {
            assert!(!error.message().contains(check), "names a check: {error:?}");
        }
        assert!(
            error.message().len() < 64 + 200,
            "echoes too much: {error:?}"
        );
    }

    // Any other method of the service is UNIMPLEMENTED, as generated services answer.
    let mut raw = tonic::client::Grpc::new(grpc.channel.clone());
    raw.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<HealthListRequest, HealthListResponse>::default();
    let path = PathAndQuery::from_static("/grpc.health.v1.Health/Nope");
    let error = raw
        .unary(tonic::Request::new(HealthListRequest {}), path, codec)
        .await
        .expect_err("no such method");
    assert_eq!(error.code(), Code::Unimplemented, "{error:?}");

    // Watch: SERVICE_UNKNOWN, and the stream stays open (the name may become known)...
    let mut unknown = grpc.watch("nope").await;
    assert_eq!(
        next(&mut unknown, PROMPTLY).await,
        Some(ServingStatus::ServiceUnknown)
    );
    assert_quiet(&mut unknown, Duration::from_millis(300)).await;
    // ...until the server stops: the drain delay after shutdown began.
    let began = Instant::now();
    health.begin_shutdown();
    assert_eq!(next(&mut unknown, BOUND).await, None);
    assert!(
        began.elapsed() >= Duration::from_millis(250),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_check_services_are_gated_before_startup_and_during_shutdown() {
    let service = Service::new();
    let health = service.health();
    let grpc = serve(&health, health.grpc()).await;

    // `db` passes, but readiness is gated on startup: so is `db`'s service.
    assert_eq!(grpc.status("db").await, NOT_SERVING);
    assert_eq!(grpc.status("model").await, NOT_SERVING);
    // `heartbeat` runs in liveness, which startup does not gate.
    assert_eq!(grpc.status("heartbeat").await, SERVING);

    service.model.store(true, Ordering::SeqCst);
    assert_eq!(grpc.status("db").await, SERVING);
    assert_eq!(grpc.status("model").await, SERVING);

    health.begin_shutdown();
    for name in ["db", "model", "heartbeat", "optional"] {
        assert_eq!(
            grpc.status(name).await,
            NOT_SERVING,
            "{name} during shutdown"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_turns_every_service_not_serving_at_once_and_ends_the_streams() {
    let service = Service::new();
    service.model.store(true, Ordering::SeqCst);
    let health = service.health();
    // A period far longer than the test: only shutdown itself can wake the streams.
    let grpc = serve(
        &health,
        health.grpc().watch_period(Duration::from_secs(600)),
    )
    .await;
    let names = [
        "",
        "readiness",
        "liveness",
        "startup",
        "model",
        "db",
        "heartbeat",
    ];
    let mut streams = Vec::new();
    for name in names {
        let mut stream = grpc.watch(name).await;
        assert_eq!(next(&mut stream, BOUND).await, Some(SERVING), "{name:?}");
        streams.push(stream);
    }

    let began = Instant::now();
    health.begin_shutdown();
    for (name, stream) in names.iter().zip(&mut streams) {
        assert_eq!(
            next(stream, PROMPTLY).await,
            Some(NOT_SERVING),
            "Watch {name:?}"
        );
    }
    for name in names.iter().chain(&["optional"]) {
        assert_eq!(grpc.status(name).await, NOT_SERVING, "Check {name:?}");
    }
    let listed = grpc.list().await;
    assert!(
        listed.values().all(|status| *status == NOT_SERVING),
        "{listed:?}"
    );
    assert!(
        began.elapsed() < Duration::from_millis(300),
        "not at once: {:?}",
        began.elapsed()
    );

    // Streams end when the drain delay is over, so the server's graceful shutdown, which
    // waits for them, finishes then too.
    for (name, stream) in names.iter().zip(&mut streams) {
        assert_eq!(next(stream, BOUND).await, None, "Watch {name:?} ends");
    }
    let ended = began.elapsed();
    assert!(
        ended >= Duration::from_millis(280),
        "ended before the drain delay: {ended:?}"
    );
    let stopped = tokio::time::timeout(BOUND, grpc.task).await;
    stopped.expect("the server stops").unwrap().unwrap();
    let stopped = began.elapsed();
    assert!(
        stopped < Duration::from_secs(2),
        "graceful shutdown held up: {stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_the_background_refresh() {
    let service = Service::new();
    service.model.store(true, Ordering::SeqCst);
    let health = service
        .builder()
        .background(Duration::from_millis(100))
        .build()
        .unwrap();
    let grpc = serve(
        &health,
        health.grpc().watch_period(Duration::from_secs(600)),
    )
    .await;

    let mut ready = grpc.watch("").await;
    let mut db = grpc.watch("db").await;
    assert_eq!(next(&mut ready, BOUND).await, Some(SERVING));
    assert_eq!(next(&mut db, BOUND).await, Some(SERVING));
    for (up, expected) in [(false, NOT_SERVING), (true, SERVING), (false, NOT_SERVING)] {
        service.db.store(up, Ordering::SeqCst);
        let changed = Instant::now();
        assert_eq!(
            next(&mut ready, Duration::from_secs(2)).await,
            Some(expected)
        );
        assert_eq!(next(&mut db, Duration::from_secs(2)).await, Some(expected));
        // Within a round or two of the change, however long the Watch period.
        assert!(
            changed.elapsed() < Duration::from_millis(1000),
            "{:?}",
            changed.elapsed()
        );
        // One message per change: refresh rounds that change nothing send nothing.
        assert_quiet(&mut ready, Duration::from_millis(350)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_re_runs_on_its_period_once_for_all_its_streams() {
    let service = Service::new();
    service.model.store(true, Ordering::SeqCst);
    let health = service.health();
    let period = Duration::from_millis(100);
    let grpc = serve(&health, health.grpc().watch_period(period)).await;

    let mut streams = Vec::new();
    for _ in 0..20 {
        let mut stream = grpc.watch("db").await;
        assert_eq!(next(&mut stream, BOUND).await, Some(SERVING));
        streams.push(stream);
    }
    let before = service.runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs = service.runs.load(Ordering::SeqCst) - before;
    // One feed re-runs `db` every 100 ms for the 20 streams: about 10 runs, not 200.
    assert!((5..=14).contains(&runs), "{runs} runs of `db` in 1 s");

    service.db.store(false, Ordering::SeqCst);
    for stream in &mut streams {
        assert_eq!(
            next(stream, Duration::from_secs(2)).await,
            Some(NOT_SERVING)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_reports_every_service_as_check_does() {
    let service = Service::new();
    service.model.store(true, Ordering::SeqCst);
    let health = service.health();
    let grpc = serve(&health, health.grpc()).await;

    let listed = grpc.list().await;
    let names: Vec<&str> = listed.keys().map(String::as_str).collect();
    let expected = [
        "",
        "db",
        "heartbeat",
        "liveness",
        "model",
        "optional",
        "readiness",
        "startup",
    ];
    assert_eq!(names, expected);
    for (name, status) in &listed {
        assert_eq!(grpc.status(name).await, *status, "{name:?}");
    }
    assert_eq!(listed["optional"], NOT_SERVING);
    assert_eq!(listed[""], SERVING);
}

/// A readiness check that takes 300 ms, counting its runs, and a startup check counting
/// its own.
fn slow_health(builder: HealthBuilder) -> (Health, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (slow_runs, startup_runs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let counted = Arc::clone(&slow_runs);
    let slow = Check::new("slow", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let counted = Arc::clone(&startup_runs);
    let startup = Check::new("loaded", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async {}
    })
    .probes(Probe::Startup);
    let health = builder
        .without_registered()
        .check(slow)
        .check(startup)
        .build()
        .unwrap();
    (health, slow_runs, startup_runs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_grpc_and_http_requests_share_one_run() {
    let (health, slow_runs, startup_runs) = slow_health(Health::builder());
    let grpc = Arc::new(serve(&health, health.grpc()).await);
    let http = Arc::new(TestServer::start(health.router()).await);
    // Latch startup first, so that only the slow check runs below.
    assert_eq!(http.get("/health/started").await.status, 200);

    let mut requests = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (grpc, http) = (Arc::clone(&grpc), Arc::clone(&http));
        requests.spawn(async move {
            match i % 3 {
                0 => assert_eq!(http.get("/health/ready").await.status, 200),
                1 => assert_eq!(grpc.status("").await, SERVING),
                _ => assert_eq!(grpc.status("slow").await, SERVING),
            }
        });
    }
    while let Some(done) = requests.join_next().await {
        done.unwrap();
    }
    assert_eq!(
        slow_runs.load(Ordering::SeqCst),
        1,
        "one run for 30 requests"
    );
    // The startup latch the HTTP router set holds for gRPC: nothing runs the startup
    // check again, uncached as it is.
    assert_eq!(grpc.status("startup").await, SERVING);
    assert_eq!(startup_runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_answers_from_the_cache_and_latch_the_http_router_filled() {
    let (health, slow_runs, startup_runs) =
        slow_health(Health::builder().cache_ttl(Duration::from_secs(60)));
    let grpc = serve(&health, health.grpc()).await;
    let http = TestServer::start(health.router()).await;

    assert_eq!(http.get("/health/started").await.status, 200);
    assert_eq!(http.get("/health/ready").await.status, 200);
    assert_eq!(
        (
            slow_runs.load(Ordering::SeqCst),
            startup_runs.load(Ordering::SeqCst)
        ),
        (1, 1)
    );

    for service in ["", "readiness", "startup", "slow", "loaded"] {
        assert_eq!(grpc.status(service).await, SERVING, "{service:?}");
    }
    let listed = grpc.list().await;
    assert!(
        listed.values().all(|status| *status == SERVING),
        "{listed:?}"
    );
    assert_eq!(
        (
            slow_runs.load(Ordering::SeqCst),
            startup_runs.load(Ordering::SeqCst)
        ),
        (1, 1),
        "gRPC ran a check the HTTP router had cached or latched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_at_once_even_while_a_check_still_runs() {
    let hung = Check::new("hung", || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .timeout(Duration::from_secs(8));
    let health = Health::builder()
        .without_registered()
        .drain_delay(Duration::from_millis(200))
        .check(hung)
        .build()
        .unwrap();
    let grpc = Arc::new(serve(&health, health.grpc()).await);
    // The Watch's first evaluation and a Check both wait on the 5 s check.
    let mut watch = grpc.watch("").await;
    let pending = tokio::spawn({
        let grpc = Arc::clone(&grpc);
        async move { grpc.status("hung").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let began = Instant::now();
    health.begin_shutdown();
    assert_eq!(next(&mut watch, PROMPTLY).await, Some(NOT_SERVING));
    let answered = tokio::time::timeout(PROMPTLY, pending).await;
    assert_eq!(
        answered.expect("Check answers at once").unwrap(),
        NOT_SERVING
    );
    assert!(began.elapsed() < PROMPTLY, "{:?}", began.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_named_like_a_probe_leaves_the_probe_its_name() {
    // A readiness check named `startup`: the service `startup` stays the startup probe.
    let health = Health::builder()
        .without_registered()
        .check(Check::new("startup", || async { false }))
        .build()
        .unwrap();
    let grpc = serve(&health, health.grpc()).await;
    assert_eq!(
        grpc.status("startup").await,
        SERVING,
        "the startup probe has no check"
    );
    assert_eq!(
        grpc.status("").await,
        NOT_SERVING,
        "readiness runs the check"
    );
    let listed = grpc.list().await;
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        ["", "liveness", "readiness", "startup"]
    );
}
