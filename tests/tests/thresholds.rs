//! Flap damping against a real redis-server (a private one, frozen with SIGSTOP and thawed
//! with SIGCONT): with `failures = 3` readiness stays 200 through two failed probes and
//! turns 503 on the third; with `successes = 2` it turns 200 again only on the second good
//! run after the thaw. Every report shows the raw last result and the streaks.

use std::time::Duration;

use health_runtime::{Check, Health, checks};
use redis::aio::ConnectionManager;
use tests::http::TestServer;
use tests::redis_server::RedisServer;

const READY: &str = "/health/ready";

/// (HTTP status, the check's entry).
async fn ready(server: &TestServer) -> (u16, serde_json::Value) {
    let response = server.get(READY).await;
    (
        response.status.as_u16(),
        response.json()["checks"]["redis"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_changes_only_after_the_thresholds() {
    let redis = RedisServer::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let manager = ConnectionManager::new(client).await.unwrap();
    let health = Health::builder()
        .without_registered()
        .check(
            checks::redis::check_with("redis", manager)
                .timeout(Duration::from_millis(300))
                .failures(3)
                .successes(2),
        )
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;

    let (status, entry) = ready(&server).await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["last_result"], "healthy", "{entry}");

    redis.pause();
    for failed in 1..=2 {
        let (status, entry) = ready(&server).await;
        assert_eq!(status, 200, "failure {failed} of 3 already counts: {entry}");
        assert_eq!(entry["healthy"], true, "{entry}");
        assert_eq!(entry["last_result"], "unhealthy", "{entry}");
        assert_eq!(entry["consecutive_failures"], failed, "{entry}");
        assert_eq!(entry["error"], "Timeout after 300ms", "{entry}");
    }
    let (status, entry) = ready(&server).await;
    assert_eq!(status, 503, "the third failure does not count: {entry}");
    assert_eq!(entry["consecutive_failures"], 3, "{entry}");

    redis.resume();
    // The connection's queued pings may fail a probe or two after the thaw; what matters
    // is that the first good run does not count and the second in a row does.
    let mut seen = Vec::new();
    for _ in 0..30 {
        let (status, entry) = ready(&server).await;
        seen.push((status, entry.clone()));
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, entry) = seen.last().unwrap().clone();
    assert_eq!(status, 200, "never recovered: {seen:?}");
    assert_eq!(entry["consecutive_successes"], 2, "{entry}");
    let (before, recovering) = &seen[seen.len() - 2];
    assert_eq!(*before, 503, "{seen:?}");
    assert_eq!(recovering["last_result"], "healthy", "{seen:?}");
    assert_eq!(
        recovering["error"], "recovering: 1 of 2 consecutive successes",
        "{seen:?}"
    );
}

/// Without thresholds a check counts every result at once and the report has no
/// threshold fields; out-of-range thresholds are refused at build.
#[tokio::test]
async fn thresholds_default_to_one_and_are_validated() {
    let health = Health::builder()
        .without_registered()
        .check(Check::new("plain", || async { false }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    let response = server.get(READY).await;
    assert_eq!(response.status, 503);
    let entry = &response.json()["checks"]["plain"];
    assert!(entry.get("last_result").is_none(), "{entry}");

    for (check, message) in [
        (
            Check::new("zero", || async {}).failures(0),
            "health check `zero` has `failures = 0`",
        ),
        (
            Check::new("many", || async {}).successes(101),
            "health check `many` has `successes = 101`",
        ),
    ] {
        let error = Health::builder()
            .without_registered()
            .check(check)
            .build()
            .unwrap_err();
        assert!(error.to_string().starts_with(message), "{error}");
    }
}

/// The generated probes account for a check's failure threshold: the rationale in the
/// manifest says how long an outage now takes to fail readiness and liveness.
#[test]
fn generated_probes_count_the_check_failure_threshold() {
    use health_runtime::Probe;
    use health_runtime::deploy::{DeployConfig, kubernetes_probes};

    let checks = [
        Check::new("upstream", || async {}).failures(3),
        Check::new("heartbeat", || async {})
            .probes([Probe::Liveness])
            .failures(2),
        Check::new("plain", || async {}),
    ];
    let config = DeployConfig::new()
        .readiness_period(Duration::from_secs(1))
        .liveness_period(Duration::from_secs(10));
    let yaml = kubernetes_probes(&checks, &config).unwrap().to_yaml();
    // Readiness: (3 - 1 + failureThreshold 3) × 1 s; liveness: (2 - 1 + 3) × 10 s.
    assert!(
        yaml.contains(
            "check `upstream` counts after 3 failed runs, so an outage fails the probe after 5s"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains(
            "check `heartbeat` counts after 2 failed runs, so an outage fails the probe after 40s"
        ),
        "{yaml}"
    );
    assert!(!yaml.contains("`plain` counts after"), "{yaml}");
}
