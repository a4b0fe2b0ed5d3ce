//! The README's first command, as a newcomer runs it: the quickstart starts with no
//! external service and goes from 503 to 200 after its simulated initialisation, and with
//! `DATABASE_URL` / `REDIS_URL` it checks those servers too (private PostgreSQL and
//! redis-server instances the test starts). It also prints its own probe manifests, which
//! must match the committed `examples/deploy/` files.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tests::http::try_request;
use tests::postgres_server::PostgresServer;
use tests::redis_server::RedisServer;

/// The quickstart binary `cargo test` built beside this test.
fn quickstart() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let profile = deps.parent().unwrap().parent().unwrap();
    let binary = profile.join("examples").join("quickstart");
    assert!(
        binary.exists(),
        "{} was not built: run `cargo test -p examples`, which builds the examples",
        binary.display()
    );
    binary
}

struct Service(Child, SocketAddr);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(env: &[(&str, &str)]) -> Service {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(quickstart())
        .env("PORT", port.to_string())
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the quickstart");
    Service(child, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Runs the quickstart with `args` and without DATABASE_URL / REDIS_URL, for its output.
fn command(args: &[&str]) -> std::process::Output {
    Command::new(quickstart())
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .output()
        .expect("run the quickstart")
}

#[test]
fn prints_the_committed_probe_manifests_and_they_lint_clean() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy");
    for (platform, file) in [
        ("kubernetes", "quickstart.kubernetes.yaml"),
        ("container-apps", "quickstart.container-apps.yaml"),
    ] {
        let printed = command(&["probes", platform]);
        assert!(printed.status.success(), "{printed:?}");
        let committed = std::fs::read_to_string(deploy.join(file)).unwrap();
        assert_eq!(
            String::from_utf8(printed.stdout).unwrap(),
            committed,
            "the checks changed: regenerate examples/deploy/{file} with \
             `cargo run -p examples --example quickstart -- probes {platform} > examples/deploy/{file}`"
        );
        let linted = command(&["lint", deploy.join(file).to_str().unwrap()]);
        assert!(linted.status.success(), "{linted:?}");
    }
    let article =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/article-kubernetes.yaml");
    // The reference article's manifest: its 1 s probe timeout is shorter than the checks.
    let linted = command(&["lint", article.to_str().unwrap()]);
    assert_eq!(linted.status.code(), Some(1), "{linted:?}");
}

/// GETs `path` until `accept` likes the answer, for at most `limit`.
async fn until(
    service: &Service,
    path: &str,
    limit: Duration,
    accept: impl Fn(u16, &serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + limit;
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(response) = try_request(service.1, "GET", path, &[]).await {
            let body = response.json();
            if accept(response.status.as_u16(), &body) {
                return body;
            }
            last = Some((response.status, body));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered as expected; last answer: {last:?}");
}

#[tokio::test]
async fn starts_without_external_services_and_becomes_ready() {
    let service = start(&[]);
    let alive = until(&service, "/health", Duration::from_secs(30), |s, _| {
        s == 200
    })
    .await;
    assert_eq!(alive, serde_json::json!({"status": "alive"}));

    let response = try_request(service.1, "GET", "/health/started", &[])
        .await
        .unwrap();
    if response.status == 503 {
        assert_eq!(response.json()["status"], "starting");
    }
    let ready = until(
        &service,
        "/health/ready",
        Duration::from_secs(10),
        |s, _| s == 200,
    )
    .await;
    assert_eq!(ready["status"], "ready");
    let checks = ready["checks"].as_object().unwrap();
    assert_eq!(
        checks.keys().collect::<Vec<_>>(),
        ["cache_warm", "embedding_model", "scratch_dir"]
    );
    let started = try_request(service.1, "GET", "/health/started", &[])
        .await
        .unwrap();
    assert_eq!(started.status, 200);
}

#[tokio::test]
async fn checks_postgres_and_redis_when_their_urls_are_given() {
    let postgres = PostgresServer::start("quickstart-pg-pw");
    let redis = RedisServer::start_with_password("quickstart-redis-pw");
    let service = start(&[
        ("DATABASE_URL", postgres.url().as_str()),
        ("REDIS_URL", redis.url().as_str()),
    ]);
    let ready = until(
        &service,
        "/health/ready",
        Duration::from_secs(30),
        |s, _| s == 200,
    )
    .await;
    assert_eq!(ready["checks"]["postgres"]["healthy"], true, "{ready}");
    assert_eq!(ready["checks"]["redis"]["healthy"], true, "{ready}");

    // A server going away is reported, without the password of its URL.
    drop(redis);
    let body = until(
        &service,
        "/health/ready",
        Duration::from_secs(30),
        |s, _| s == 503,
    )
    .await;
    assert_eq!(body["checks"]["redis"]["healthy"], false, "{body}");
    assert_eq!(body["checks"]["postgres"]["healthy"], true, "{body}");
    assert!(!body.to_string().contains("quickstart-redis-pw"), "{body}");
}

#[tokio::test]
async fn reports_unreachable_servers_without_leaking_the_password() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let database_url = format!("postgres://app:quickstart-pw-91c2@127.0.0.1:{closed}/app");
    let redis_url = format!("redis://:quickstart-pw-91c2@127.0.0.1:{closed}");
    let service = start(&[("DATABASE_URL", &database_url), ("REDIS_URL", &redis_url)]);
    let body = until(
        &service,
        "/health/ready",
        Duration::from_secs(30),
        |s, body| s == 503 && body["checks"].get("redis").is_some(),
    )
    .await;
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["postgres"]["healthy"], false);
    assert_eq!(body["checks"]["redis"]["healthy"], false);
    assert!(!body.to_string().contains("quickstart-pw-91c2"), "{body}");
}
