//! Probe configurations on a kubelet-faithful simulator against a real service process
//! (`probe_target`): what the generated probes do to it, and what the reference article's
//! hand-written probes do.
//!
//! One manifest second lasts 10 ms (a 10 s period is probed every 100 ms); timeouts stay
//! real. Every wait is bounded. Redis is a private `redis-server` on a free loopback port.
#![cfg(feature = "deploy")]

use std::process::Command;
use std::time::Duration;

use health_runtime::Probe;
use health_runtime::deploy::{DeployConfig, FindingKind, lint};
use tests::fault_proxy::{Fault, FaultProxy};
use tests::kubelet::{Event, Kubelet, Log, Outcome, captured};
use tests::manifests::ARTICLE_KUBERNETES;
use tests::redis_server::RedisServer;

const TARGET: &str = env!("CARGO_BIN_EXE_probe_target");
const SCALE: Duration = Duration::from_millis(10);
const BOUND: Duration = Duration::from_secs(30);

/// The Deployment the service prints for itself: `probe_target probes kubernetes
/// --deployment`.
fn generated_manifest() -> String {
    let output = Command::new(TARGET)
        .args(["probes", "kubernetes", "--deployment"])
        .output()
        .expect("run probe_target");
    tests::capture::output("probe_target", &output);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 YAML")
}

fn pod(manifest: &str, redis: impl ToString) -> Kubelet {
    kubelet(manifest, SCALE).env("REDIS_ADDR", redis)
}

fn kubelet(manifest: &str, scale: Duration) -> Kubelet {
    let kubelet = Kubelet::new(TARGET, manifest)
        .expect("a manifest with probes")
        .time_scale(scale);
    captured(kubelet, "probe_target")
}

fn index_of(log: &Log, event: &Event) -> usize {
    log.position(|e| e == event)
        .unwrap_or_else(|| panic!("no {event:?} in\n{log}"))
}

/// 4.2 s is 420 manifest seconds: within the 600 s the service declares, past the
/// article's budget (the 30th startup failure lands 290 s in).
const SLOW_MODEL_MS: u64 = 4_200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_load_survives_the_generated_probes() {
    let redis = RedisServer::start();
    let pod = pod(&generated_manifest(), redis.addr())
        .env("MODEL_LOAD_MS", SLOW_MODEL_MS)
        .start();
    pod.wait_for("ready once the model loaded", BOUND, Log::ever_ready)
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills(), [], "{log}");
    assert!(index_of(&log, &Event::Started) < index_of(&log, &Event::Ready(true)));
    // The load really outlasted many startup probes.
    let failures = log
        .outcomes(Probe::Startup)
        .iter()
        .filter(|o| !o.is_success())
        .count();
    assert!(failures > 30, "{failures} failed startup probes\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_article_probes_kill_a_slow_model_load_over_and_over() {
    // The lint sees it coming.
    let checks = health_runtime::Health::new().checks();
    let config = DeployConfig::new().expected_startup(Duration::from_secs(600));
    let findings = lint(ARTICLE_KUBERNETES, &checks, &config).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| matches!(f.kind, FindingKind::StartupBudgetTooShort { .. })),
        "{findings:#?}"
    );

    let redis = RedisServer::start();
    let pod = pod(ARTICLE_KUBERNETES, redis.addr())
        .env("MODEL_LOAD_MS", SLOW_MODEL_MS)
        .start();
    pod.wait_for("two restarts", BOUND, |log| log.kills().len() >= 2)
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert!(log.kills().iter().all(|p| *p == Probe::Startup), "{log}");
    assert!(!log.ever_started(), "{log}");
    assert!(!log.ever_ready(), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_but_healthy_dependency_keeps_the_article_pod_out_of_traffic() {
    let redis = RedisServer::start();
    // Each direction waits 600 ms: a PING takes about 1.2 s, well within the check's 2 s,
    // but longer than the kubelet's default 1 s timeout the article leaves in place.
    let proxy = FaultProxy::start(redis.addr()).await;
    proxy.set(Fault::Delay(Duration::from_millis(600)));
    // Periods must stay longer than the dependency's latency, as they are in a cluster:
    // otherwise a probe would join the run a timed-out probe started (single-flight).
    let scale = Duration::from_millis(100);

    let article = kubelet(ARTICLE_KUBERNETES, scale)
        .env("REDIS_ADDR", proxy.addr())
        .start();
    article
        .wait_for("four timed-out readiness probes", BOUND, |log| {
            log.outcomes(Probe::Readiness)
                .iter()
                .filter(|o| ***o == Outcome::TimedOut)
                .count()
                >= 4
        })
        .await;
    let log = article.stop().await;
    println!("{}", log.summary());
    // The probe gives up after the kubelet's default 1 s while the check takes 1.2 s: all
    // but the odd probe that joins a run already under way time out, and the pod ends up
    // out of its Services.
    let timeouts = log
        .outcomes(Probe::Readiness)
        .iter()
        .filter(|o| ***o == Outcome::TimedOut)
        .count();
    assert!(timeouts >= 3, "{log}");
    assert!(
        log.events().any(|e| *e == Event::Endpoints(false)) || !log.ever_ready(),
        "{log}"
    );

    let generated = kubelet(&generated_manifest(), scale)
        .env("REDIS_ADDR", proxy.addr())
        .start();
    generated
        .wait_for("ready through the slow dependency", BOUND, Log::ever_ready)
        .await;
    let log = generated.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills(), [], "{log}");
    assert!(
        !log.outcomes(Probe::Readiness).contains(&&Outcome::TimedOut),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_makes_the_pod_unready_and_never_restarts_it() {
    let redis = RedisServer::start();
    let pod = pod(&generated_manifest(), redis.addr()).start();
    pod.wait_for("ready", BOUND, Log::ever_ready).await;

    redis.pause(); // SIGSTOP: connections hang, the check times out after 2 s
    let log = pod
        .wait_for("out of traffic", BOUND, |log| {
            log.events().any(|e| *e == Event::Endpoints(false))
        })
        .await;
    let unready_at = log.records.len();
    let log = pod.run_for(Duration::from_secs(3)).await;
    redis.resume();
    let log_after = pod
        .wait_for("back in traffic", BOUND, |log| {
            log.events()
                .skip(unready_at)
                .any(|e| *e == Event::Endpoints(true))
        })
        .await;
    let log_final = pod.stop().await;
    println!("{}", log_final.summary());

    assert_eq!(log_final.kills(), [], "{log_final}");
    assert!(
        !log_final
            .events()
            .any(|e| matches!(e, Event::ContainerStarted(n) if *n > 0)),
        "{log_final}"
    );
    // Liveness runs no dependency check: it stayed green all along.
    assert!(
        log.outcomes(Probe::Liveness)
            .iter()
            .all(|o| **o == Outcome::Status(200)),
        "{log}"
    );
    assert!(log.outcomes(Probe::Liveness).len() >= 10, "{log}");
    assert!(
        log.records[unready_at..]
            .iter()
            .any(|r| r.event == Event::Probed(Probe::Readiness, Outcome::Status(503))),
        "{log}"
    );
    let _ = log_after;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_heartbeat_gets_the_pod_restarted() {
    let redis = RedisServer::start();
    let pod = pod(&generated_manifest(), redis.addr())
        .env("HEARTBEAT_STALL_AFTER_MS", 1_500)
        .start();
    pod.wait_for("a restart", BOUND, |log| log.restarts() >= 1)
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills()[0], Probe::Liveness, "{log}");
    let killed = index_of(&log, &Event::Unhealthy(Probe::Liveness));
    assert!(index_of(&log, &Event::Ready(true)) < killed, "{log}");
    // The worker's heartbeat check answered 503: the process itself was responsive.
    assert!(
        log.records[..killed]
            .iter()
            .any(|r| r.event == Event::Probed(Probe::Liveness, Outcome::Status(503))),
        "{log}"
    );
    // The restarted container begins again: startup first, readiness failed until then.
    assert!(
        log.records[killed..]
            .iter()
            .any(|r| r.event == Event::ContainerStarted(1)),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_runtime_gets_the_pod_restarted() {
    let redis = RedisServer::start();
    let pod = pod(&generated_manifest(), redis.addr())
        .env("RUNTIME_STALL_AFTER_MS", 1_500)
        .start();
    pod.wait_for("a restart", BOUND, |log| log.restarts() >= 1)
        .await;
    let log = pod.stop().await;
    println!("{}", log.summary());
    assert_eq!(log.kills()[0], Probe::Liveness, "{log}");
    let killed = index_of(&log, &Event::Unhealthy(Probe::Liveness));
    assert!(index_of(&log, &Event::Ready(true)) < killed, "{log}");
    // The watchdog answered 503, or the runtime could not answer within the timeout.
    let failures: Vec<_> = log.records[..killed]
        .iter()
        .filter_map(|r| match &r.event {
            Event::Probed(Probe::Liveness, outcome) if !outcome.is_success() => Some(outcome),
            _ => None,
        })
        .collect();
    assert!(failures.len() >= 3, "{log}");
    assert!(
        failures
            .iter()
            .all(|o| matches!(o, Outcome::Status(503) | Outcome::TimedOut)),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_leaves_the_endpoints_at_once_and_the_service_drains_within_its_grace() {
    let redis = RedisServer::start();
    // Drains 1.5 s, within the 8 s grace period the service's own Deployment declares.
    let pod = pod(&generated_manifest(), redis.addr())
        .env("DRAIN_MS", 1_500)
        .start();
    pod.wait_for("ready", BOUND, Log::ever_ready).await;
    let log = pod.delete().await;
    println!("{}", log.summary());

    let deleting = index_of(&log, &Event::Deleting);
    let sigterm = index_of(&log, &Event::Sigterm);
    let exited = index_of(&log, &Event::Exited(Some(0)));
    // The endpoints controller removes a deleting pod before any probe can say a thing.
    assert_eq!(
        log.records[deleting + 1].event,
        Event::Endpoints(false),
        "{log}"
    );
    assert!(deleting < sigterm && sigterm < exited, "{log}");
    let draining = &log.records[sigterm..exited];
    // Readiness goes on and sees the 503 of the drain ...
    assert!(
        draining
            .iter()
            .any(|r| r.event == Event::Probed(Probe::Readiness, Outcome::Status(503))),
        "{log}"
    );
    // ... while liveness and startup stopped: no restart can race the shutdown.
    assert!(
        !log.records[deleting..]
            .iter()
            .any(|r| matches!(r.event, Event::Probed(Probe::Liveness | Probe::Startup, _))),
        "{log}"
    );
    assert!(!log.events().any(|e| *e == Event::Sigkill), "{log}");
    assert_eq!(log.kills(), [], "{log}");
}
