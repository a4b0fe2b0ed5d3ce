//! The application's own word on its availability, and the status codes of reports,
//! through a real listening server: `Health::set_unavailable` takes every readiness route
//! (probe, single checks, tag groups, `?exclude=`) and the gRPC readiness services out of
//! rotation with the reason, `Health::set_available` puts them back, `Health::mark_broken`
//! fails liveness; `RouteOptions::status_code` and `RouteOptions::always_ok` choose the code
//! of each report status.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use health_runtime::report::ReportStatus;
use health_runtime::{Check, ConfigError, DetailsPolicy, Health, Probe, RouteOptions};
use tests::capture::Logs;
use tests::http::TestServer;
use tests::secrets::{MAINTENANCE_KEY, MAINTENANCE_PASSWORD};

const MAINTENANCE: &str = "maintenance until 02:00";

/// A latched startup check, two readiness checks tagged `db` and `cache` that count their
/// runs, and a non-critical readiness check failing while `search_down` is set.
struct Service {
    health: Health,
    runs: Arc<AtomicUsize>,
    search_down: Arc<AtomicBool>,
}

fn service(policy: DetailsPolicy, liveness_check: bool) -> Service {
    let runs = Arc::new(AtomicUsize::new(0));
    let search_down = Arc::new(AtomicBool::new(false));
    let counted = |name: &'static str, tag: &'static str| {
        let runs = Arc::clone(&runs);
        Check::new(name, move || {
            runs.fetch_add(1, Ordering::SeqCst);
            async { true }
        })
        .tags([tag])
    };
    let down = Arc::clone(&search_down);
    let mut builder = Health::builder()
        .without_registered()
        .check(Check::new("model", || async { true }).probes(Probe::Startup))
        .check(counted("db", "db"))
        .check(counted("cache", "cache"))
        .check(
            Check::new("search", move || {
                let up = !down.load(Ordering::SeqCst);
                async move { up }
            })
            .critical(false),
        )
        .details(policy);
    if liveness_check {
        builder = builder.check(Check::new("heartbeat", || async { true }).probes(Probe::Liveness));
    }
    Service {
        health: builder.build().expect("valid checks"),
        runs,
        search_down,
    }
}

fn options() -> RouteOptions {
    RouteOptions::new().group("/health/db", ["db"])
}

/// Every readiness-like route.
const READINESS_ROUTES: [&str; 4] = [
    "/health/ready",
    "/health/ready/db",
    "/health/db",
    "/health/ready?exclude=cache",
];

async fn assert_status(server: &TestServer, path: &str, code: u16, status: &str) {
    let response = server.get(path).await;
    let body = response.json();
    assert_eq!(response.status, code, "{path}: {body}");
    assert_eq!(body["status"], status, "{path}: {body}");
}

#[tokio::test]
async fn maintenance_takes_every_readiness_route_out_of_rotation_and_back() {
    let service = service(DetailsPolicy::Full, false);
    let health = &service.health;
    let server = TestServer::start(health.router_with(options())).await;
    // Latch startup.
    assert_status(&server, "/health/started", 200, "started").await;
    for path in READINESS_ROUTES {
        assert_status(&server, path, 200, "ready").await;
    }
    assert!(health.is_available());

    health.set_unavailable(MAINTENANCE);
    assert!(!health.is_available());
    let runs = service.runs.load(Ordering::SeqCst);
    for path in READINESS_ROUTES {
        let response = server.get(path).await;
        let body = response.json();
        assert_eq!(response.status, 503, "{path}: {body}");
        assert_eq!(
            body,
            serde_json::json!({"status": "unavailable", "reason": MAINTENANCE}),
            "{path}"
        );
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
    // Out of rotation, the dependencies are left alone.
    assert_eq!(service.runs.load(Ordering::SeqCst), runs);
    // The IETF format says so too.
    let response = server
        .get_with("/health/ready", &[("accept", "application/health+json")])
        .await;
    assert_eq!(response.status, 503);
    let body = response.json();
    assert_eq!(body["status"], "fail", "{body}");
    assert_eq!(body["description"], "unavailable", "{body}");
    assert_eq!(body["output"], MAINTENANCE, "{body}");
    // Liveness and startup are not readiness.
    assert_status(&server, "/health", 200, "alive").await;
    assert_status(&server, "/health/started", 200, "started").await;
    assert_status(&server, "/health/started/model", 200, "started").await;

    health.set_available();
    assert!(health.is_available());
    for path in READINESS_ROUTES {
        assert_status(&server, path, 200, "ready").await;
    }
    assert!(service.runs.load(Ordering::SeqCst) > runs);
}

#[tokio::test]
async fn a_public_view_sees_unavailable_without_the_reason() {
    let service = service(DetailsPolicy::StatusOnly, false);
    let server = TestServer::start(service.health.router_with(options())).await;
    service.health.set_unavailable(MAINTENANCE);
    for path in READINESS_ROUTES {
        let response = server.get(path).await;
        assert_eq!(response.status, 503, "{path}");
        assert_eq!(response.body, r#"{"status":"unavailable"}"#, "{path}");
    }
}

#[tokio::test]
async fn shutdown_still_wins_over_maintenance() {
    let service = service(DetailsPolicy::Full, false);
    let server = TestServer::start(service.health.router_with(options())).await;
    service.health.set_unavailable(MAINTENANCE);
    service.health.begin_shutdown();
    for path in READINESS_ROUTES {
        assert_status(&server, path, 503, "shutting_down").await;
    }
}

#[tokio::test]
async fn maintenance_reasons_are_redacted() {
    let service = service(DetailsPolicy::Full, false);
    let server = TestServer::start(service.health.router()).await;
    service.health.secret(MAINTENANCE_KEY);
    service.health.set_unavailable(format!(
        "failover: postgres://app:{MAINTENANCE_PASSWORD}@replica, key {MAINTENANCE_KEY}"
    ));
    let response = server.get("/health/ready").await;
    let body = String::from_utf8_lossy(&response.body).into_owned();
    assert_eq!(response.status, 503, "{body}");
    assert!(body.contains("failover"), "{body}");
    assert!(!body.contains(MAINTENANCE_PASSWORD), "{body}");
    assert!(!body.contains(MAINTENANCE_KEY), "{body}");
}

#[tokio::test]
async fn a_broken_process_fails_liveness_with_the_reason() {
    for liveness_check in [false, true] {
        let service = service(DetailsPolicy::Full, liveness_check);
        let health = &service.health;
        let server = TestServer::start(health.router()).await;
        assert_status(&server, "/health", 200, "alive").await;
        assert!(!health.is_broken());

        health.mark_broken("worker pool deadlocked");
        assert!(health.is_broken());
        for path in ["/health", "/health?exclude=model"] {
            let response = server.get(path).await;
            assert_eq!(response.status, 503, "{path}");
            assert_eq!(
                response.json(),
                serde_json::json!({"status": "broken", "reason": "worker pool deadlocked"}),
                "{path} (liveness check: {liveness_check})"
            );
        }
        // Readiness and startup answer on their own checks.
        assert_status(&server, "/health/started", 200, "started").await;
        assert_status(&server, "/health/ready", 200, "ready").await;
    }
}

#[tokio::test]
async fn degraded_is_200_unless_configured() {
    let cases: [(Option<u16>, u16); 4] = [
        (None, 200),
        (Some(207), 207),
        (Some(429), 429),
        (Some(503), 503),
    ];
    for (configured, expected) in cases {
        let service = service(DetailsPolicy::Full, false);
        service.search_down.store(true, Ordering::SeqCst);
        let mut options = options();
        if let Some(code) = configured {
            options = options.status_code(ReportStatus::Degraded, code);
        }
        let server = TestServer::start(service.health.router_with(options)).await;
        for path in ["/health/ready", "/health/ready?exclude=cache"] {
            let response = server.get(path).await;
            let body = response.json();
            assert_eq!(
                response.status, expected,
                "{path} with {configured:?}: {body}"
            );
            assert_eq!(body["status"], "degraded", "{path}: {body}");
            assert_eq!(body["checks"]["search"]["healthy"], false, "{path}: {body}");
        }
        let response = server
            .get_with("/health/ready", &[("accept", "application/health+json")])
            .await;
        assert_eq!(response.status, expected, "IETF with {configured:?}");
        assert_eq!(response.json()["status"], "warn");
        // The other statuses keep their codes.
        assert_status(&server, "/health", 200, "alive").await;
        service.search_down.store(false, Ordering::SeqCst);
        assert_status(&server, "/health/ready", 200, "ready").await;
    }
}

#[tokio::test]
async fn any_status_can_be_given_a_code() {
    let service = service(DetailsPolicy::Full, false);
    let options = options()
        .status_code(ReportStatus::Unavailable, 429)
        .status_code(ReportStatus::Alive, 203);
    let server = TestServer::start(service.health.router_with(options)).await;
    // The constant answer of a liveness without checks too.
    assert_status(&server, "/health", 203, "alive").await;
    service.health.set_unavailable(MAINTENANCE);
    for path in READINESS_ROUTES {
        assert_status(&server, path, 429, "unavailable").await;
    }
}

#[tokio::test]
async fn always_ok_answers_200_with_the_status_in_the_body() {
    let service = service(DetailsPolicy::Full, false);
    let health = &service.health;
    let app = axum::Router::new().merge(health.router()).nest(
        "/monitor",
        health.router_with(RouteOptions::new().always_ok()),
    );
    let server = TestServer::start(app).await;
    assert_status(&server, "/monitor/health/started", 200, "started").await;

    service.search_down.store(true, Ordering::SeqCst);
    assert_status(&server, "/monitor/health/ready", 200, "degraded").await;
    health.set_unavailable(MAINTENANCE);
    assert_status(&server, "/monitor/health/ready", 200, "unavailable").await;
    assert_status(&server, "/health/ready", 503, "unavailable").await;
    health.mark_broken("deadlock");
    assert_status(&server, "/monitor/health", 200, "broken").await;
    assert_status(&server, "/health", 503, "broken").await;
    health.begin_shutdown();
    assert_status(&server, "/monitor/health/ready", 200, "shutting_down").await;
    assert_status(&server, "/health/ready", 503, "shutting_down").await;
    // Errors are no reports: they keep their codes.
    let response = server.get("/monitor/health/ready/nope").await;
    assert_eq!(response.status, 404);
    assert!(response.json()["error"].is_string());
}

#[tokio::test]
async fn codes_no_report_can_be_answered_with_are_refused() {
    for code in [0, 99, 100, 204, 205, 302, 304, 600, 1000] {
        let service = service(DetailsPolicy::Full, false);
        let options = RouteOptions::new().status_code(ReportStatus::Degraded, code);
        let error = service
            .health
            .try_router_with::<()>(options)
            .expect_err("an invalid status code");
        assert_eq!(
            error,
            ConfigError::InvalidStatusCode {
                status: "degraded",
                code
            }
        );
        assert!(error.to_string().contains(&code.to_string()), "{error}");
    }
}

#[cfg(feature = "grpc")]
mod grpc {
    use std::time::Duration;

    use health_runtime::Health;
    use health_runtime::grpc::HealthService;
    use health_runtime::grpc::pb::{HealthCheckRequest, ServingStatus};
    use tokio::task::JoinHandle;
    use tonic::Streaming;
    use tonic::transport::server::TcpIncoming;
    use tonic::transport::{Channel, Server};
    use tonic_health::pb::HealthCheckResponse;
    use tonic_health::pb::health_client::HealthClient;

    use super::{DetailsPolicy, MAINTENANCE, TestServer, service};

    const SERVING: ServingStatus = ServingStatus::Serving;
    const NOT_SERVING: ServingStatus = ServingStatus::NotServing;

    struct GrpcServer {
        channel: Channel,
        _task: JoinHandle<Result<(), tonic::transport::Error>>,
    }

    async fn serve(health: &Health, service: HealthService) -> GrpcServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(
            Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    TcpIncoming::from(listener),
                    health.shutdown_signal(),
                ),
        );
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connect to the gRPC server");
        GrpcServer {
            channel,
            _task: task,
        }
    }

    impl GrpcServer {
        async fn status(&self, service: &str) -> ServingStatus {
            let request = HealthCheckRequest {
                service: service.to_owned(),
            };
            let response = HealthClient::new(self.channel.clone())
                .check(request)
                .await
                .unwrap_or_else(|status| panic!("Check {service:?}: {status:?}"))
                .into_inner();
            status_of(&response)
        }

        async fn watch(&self, service: &str) -> Streaming<HealthCheckResponse> {
            let request = HealthCheckRequest {
                service: service.to_owned(),
            };
            HealthClient::new(self.channel.clone())
                .watch(request)
                .await
                .unwrap()
                .into_inner()
        }
    }

    fn status_of(response: &HealthCheckResponse) -> ServingStatus {
        ServingStatus::try_from(response.status).expect("a ServingStatus")
    }

    /// The next `Watch` message, within a bound far below the watch period.
    async fn next(stream: &mut Streaming<HealthCheckResponse>) -> ServingStatus {
        let message = tokio::time::timeout(Duration::from_secs(5), stream.message())
            .await
            .expect("a Watch message before the period")
            .expect("no stream error")
            .expect("the stream is open");
        status_of(&message)
    }

    const READINESS_SERVICES: [&str; 3] = ["", "readiness", "db"];

    #[tokio::test]
    async fn maintenance_turns_the_readiness_services_not_serving_and_back() {
        let service = service(DetailsPolicy::Full, true);
        let health = &service.health;
        // A watch period far beyond the test: only the change itself can wake the streams.
        let grpc = serve(health, health.grpc().watch_period(Duration::from_secs(600))).await;
        assert_eq!(grpc.status("startup").await, SERVING);
        let mut watches = Vec::new();
        for name in READINESS_SERVICES {
            assert_eq!(grpc.status(name).await, SERVING, "{name:?}");
            let mut stream = grpc.watch(name).await;
            assert_eq!(next(&mut stream).await, SERVING, "{name:?}");
            watches.push(stream);
        }

        health.set_unavailable(MAINTENANCE);
        for (name, stream) in READINESS_SERVICES.iter().zip(&mut watches) {
            assert_eq!(grpc.status(name).await, NOT_SERVING, "{name:?}");
            assert_eq!(next(stream).await, NOT_SERVING, "Watch {name:?}");
        }
        assert_eq!(grpc.status("liveness").await, SERVING);
        assert_eq!(grpc.status("heartbeat").await, SERVING);
        assert_eq!(grpc.status("startup").await, SERVING);

        health.set_available();
        for (name, stream) in READINESS_SERVICES.iter().zip(&mut watches) {
            assert_eq!(grpc.status(name).await, SERVING, "{name:?}");
            assert_eq!(next(stream).await, SERVING, "Watch {name:?}");
        }
    }

    #[tokio::test]
    async fn a_broken_process_turns_liveness_not_serving() {
        for liveness_check in [false, true] {
            let service = service(DetailsPolicy::Full, liveness_check);
            let health = &service.health;
            let grpc = serve(health, health.grpc().watch_period(Duration::from_secs(600))).await;
            assert_eq!(grpc.status("liveness").await, SERVING);
            let mut stream = grpc.watch("liveness").await;
            assert_eq!(next(&mut stream).await, SERVING);

            health.mark_broken("deadlock");
            assert_eq!(grpc.status("liveness").await, NOT_SERVING);
            assert_eq!(next(&mut stream).await, NOT_SERVING);
            if liveness_check {
                assert_eq!(grpc.status("heartbeat").await, NOT_SERVING);
            }
            assert_eq!(grpc.status("").await, SERVING);
            // The HTTP router of the same handle agrees.
            let server = TestServer::start(health.router()).await;
            assert_eq!(server.get("/health").await.status, 503);
        }
    }
}

#[test]
fn each_change_is_logged_once() {
    // This thread only: the other tests' changes are not this one's.
    let (lines, _guard) = Logs::install_for_thread(tracing::Level::INFO);

    let health = service(DetailsPolicy::Full, false).health;
    health.set_unavailable(MAINTENANCE);
    health.set_unavailable(MAINTENANCE);
    health.set_unavailable("reindexing");
    health.set_available();
    health.set_available();
    health.mark_broken("deadlock");
    health.mark_broken("deadlock");

    let lines = lines.entries();
    let count = |text: &str| lines.iter().filter(|line| line.contains(text)).count();
    assert_eq!(count("set unavailable"), 2, "{lines:#?}");
    assert_eq!(count(MAINTENANCE), 1, "{lines:#?}");
    assert_eq!(count("reindexing"), 1, "{lines:#?}");
    assert_eq!(count("set available"), 1, "{lines:#?}");
    assert_eq!(count("marked broken"), 1, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|line| line.contains("ERROR") && line.contains("deadlock")),
        "{lines:#?}"
    );
}
