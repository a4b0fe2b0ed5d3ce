//! `Kubelet`, `Pod` and `Traffic` over a real service process: `examples/pod_service.rs`,
//! which `cargo test` builds, under the Deployment it prints for itself.

use std::path::PathBuf;
use std::time::Duration;

use health_runtime::Probe;
use health_runtime_testing::kubelet::{Event, Kubelet, Log, Outcome};
use health_runtime_testing::traffic::Traffic;

const BOUND: Duration = Duration::from_secs(30);

/// The example binary beside this test's own (`target/<profile>/examples/pod_service`).
fn pod_service() -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    let profile = test.parent().unwrap().parent().unwrap();
    let binary = profile.join("examples").join("pod_service");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pod_service.rs");
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    assert!(
        modified(&binary) >= modified(&source),
        "{} is missing or older than its source: `cargo test -p health-runtime-testing` \
         (without --test) or `cargo build -p health-runtime-testing --example pod_service` \
         builds it",
        binary.display()
    );
    binary
}

fn index_of(log: &Log, event: &Event) -> usize {
    log.position(|e| e == event)
        .unwrap_or_else(|| panic!("no {event:?} in\n{log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_starts_under_its_own_deployment_and_drains_when_deleted() {
    let kubelet = Kubelet::from_service(pod_service())
        .time_scale(Duration::from_millis(50))
        .env("LOAD_MS", 1_200)
        .env("DRAIN_MS", 500);
    let probes: Vec<Probe> = kubelet.container().probes.iter().map(|p| p.probe).collect();
    assert_eq!(probes, [Probe::Startup, Probe::Liveness, Probe::Readiness]);
    let pod = kubelet.start();
    pod.wait_for("ready", BOUND, Log::ever_ready).await;
    assert!(pod.in_endpoints());

    // Requests through the Service while the pod is deleted: the proxies learn of the
    // deletion 200 ms late, well within the service's 500 ms drain.
    let traffic = Traffic::start(
        &pod,
        "/",
        Duration::from_millis(20),
        Duration::from_millis(200),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = pod.delete().await;
    let report = traffic.finish().await;
    println!("{}; {} requests", log.summary(), report.sent);

    assert!(report.sent >= 10, "{report:?}");
    assert_eq!(report.failed, Vec::<String>::new(), "{log}");
    // Startup (every 500 ms) answered 503 while the model loaded, then readiness followed.
    assert!(
        log.outcomes(Probe::Startup)
            .contains(&&Outcome::Status(503)),
        "{log}"
    );
    assert!(index_of(&log, &Event::Started) < index_of(&log, &Event::Ready(true)));
    // Deletion: out of the endpoints at once, SIGTERM, a clean exit within the grace.
    let deleting = index_of(&log, &Event::Deleting);
    assert_eq!(
        log.records[deleting + 1].event,
        Event::Endpoints(false),
        "{log}"
    );
    assert!(index_of(&log, &Event::Sigterm) < index_of(&log, &Event::Exited(Some(0))));
    assert!(!log.events().any(|e| *e == Event::Sigkill), "{log}");
    assert_eq!(log.restarts(), 0, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_liveness_probe_gets_the_container_restarted() {
    // One manifest second lasts 20 ms: liveness (period 10 s, 3 failures) kills within a
    // second of failing.
    let pod = Kubelet::from_service(pod_service())
        .time_scale(Duration::from_millis(20))
        .env("LIVENESS_FAILS_AFTER_MS", 500)
        .env("DRAIN_MS", 100)
        .start();
    let log = pod
        .wait_for("a restart", BOUND, |log| log.restarts() >= 1)
        .await;
    let log_after = pod
        .wait_for("started again", BOUND, |log| {
            log.records
                .iter()
                .any(|r| r.container == 1 && r.event == Event::Started)
        })
        .await;
    drop(pod);
    println!("{}", log.summary());
    assert_eq!(log.kills(), [Probe::Liveness], "{log}");
    let unhealthy = index_of(&log, &Event::Unhealthy(Probe::Liveness));
    // Three failures in a row, then SIGTERM; the first restart does not back off.
    let failures = log.records[..unhealthy]
        .iter()
        .filter(|r| r.event == Event::Probed(Probe::Liveness, Outcome::Status(503)))
        .count();
    assert_eq!(failures, 3, "{log}");
    assert!(unhealthy < index_of(&log, &Event::Sigterm), "{log}");
    assert!(
        !log.events().any(|e| matches!(e, Event::BackOff(_))),
        "{log}"
    );
    assert!(log_after.ever_started());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_name_that_does_not_resolve_throws_every_result_away() {
    let manifest = "livenessProbe: {httpGet: {path: /health, port: metrics}, periodSeconds: 1}";
    let pod = Kubelet::new("/bin/sh", manifest)
        .unwrap()
        .arg("-c")
        .arg("sleep 30")
        .time_scale(Duration::from_millis(20))
        .start();
    let log = pod
        .wait_for("three probes", BOUND, |log| {
            log.outcomes(Probe::Liveness).len() >= 3
        })
        .await;
    drop(pod);
    assert!(
        log.outcomes(Probe::Liveness)
            .iter()
            .all(|o| matches!(o, Outcome::Discarded(e) if e.contains("metrics"))),
        "{log}"
    );
    assert_eq!(log.kills(), [], "{log}");
}

#[test]
#[should_panic(expected = "exec or tcpSocket probe")]
fn an_exec_probe_is_refused_rather_than_left_out() {
    let manifest = "livenessProbe: {exec: {command: [cat, /tmp/healthy]}}\nreadinessProbe: {httpGet: {path: /ready, port: 8000}}";
    let _ = Kubelet::new("/bin/true", manifest).unwrap().start();
}

#[test]
#[should_panic(expected = "exec or tcpSocket probe")]
fn a_tcp_socket_probe_is_refused_rather_than_left_out() {
    let manifest = "livenessProbe: {tcpSocket: {port: 8000}}";
    let _ = Kubelet::new("/bin/true", manifest).unwrap().start();
}

#[test]
#[should_panic(expected = "scheme: HTTPS")]
fn an_https_probe_is_refused_rather_than_probed_in_plain_http() {
    let manifest = "readinessProbe: {httpGet: {path: /ready, port: 8443, scheme: HTTPS}}";
    let _ = Kubelet::new("/bin/true", manifest).unwrap().start();
}
