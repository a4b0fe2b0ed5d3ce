//! The kubelet simulator's pod-level behaviour against real processes, each test named
//! after the kubelet function it mirrors (`pkg/kubelet/prober/worker.go`,
//! `prober_manager.go`, `kuberuntime`'s `killContainer` and `doBackOff`, the endpoints
//! controller). Periods are manifest seconds scaled to a few tens of milliseconds; grace
//! periods and timeouts are real.
#![cfg(feature = "deploy")]

use std::time::Duration;

use health_runtime::Probe;
use tests::kubelet::{
    Event, Kubelet, Log, Outcome, ScriptedServer, captured, raw_http_server, reply, request_header,
    request_target,
};

const TARGET: &str = env!("CARGO_BIN_EXE_probe_target");
const BOUND: Duration = Duration::from_secs(30);

/// A pod spec of one `probe_target` container on port 8000 (named `http`) with `probes`
/// (YAML at the container's indentation) and the given grace period.
fn pod_manifest(grace: u64, probes: &str) -> String {
    let mut yaml = format!(
        "spec:\n  terminationGracePeriodSeconds: {grace}\n  containers:\n    - name: target\n      ports: [{{name: http, containerPort: 8000}}]\n"
    );
    for line in probes.trim_matches('\n').lines() {
        yaml.push_str("      ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml
}

fn kubelet(program: &str, manifest: &str, scale_ms: u64) -> Kubelet {
    let kubelet = Kubelet::new(program, manifest)
        .unwrap_or_else(|e| panic!("{e}\n{manifest}"))
        .time_scale(Duration::from_millis(scale_ms));
    let label = std::path::Path::new(program).file_name().unwrap();
    captured(kubelet, &label.to_string_lossy())
}

fn index_of(log: &Log, event: &Event) -> usize {
    log.position(|e| e == event)
        .unwrap_or_else(|| panic!("no {event:?} in\n{log}"))
}

fn at(log: &Log, index: usize) -> Duration {
    log.records[index].at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_back_off_restarts_after_0_10_20_40_80_160_300_300_seconds() {
    let manifest = pod_manifest(30, "livenessProbe: {httpGet: {path: /health, port: http}}");
    // One manifest second lasts 2 ms: 300 s of back-off is 0.6 s.
    let pod = kubelet("/bin/sh", &manifest, 2)
        .arg("-c")
        .arg("exit 3")
        .start();
    let log = pod
        .wait_for("8 restarts", BOUND, |log| log.restarts() >= 8)
        .await;
    drop(pod);
    let waits: Vec<u64> = log
        .events()
        .filter_map(|e| match e {
            Event::BackOff(wait) => Some(wait.as_secs()),
            _ => None,
        })
        .collect();
    assert_eq!(waits[..7], [10, 20, 40, 80, 160, 300, 300], "{log}");
    // And the restarts really waited that long (2 ms per manifest second).
    let expected = [0, 10, 20, 40, 80, 160, 300, 300];
    for (n, seconds) in expected.iter().enumerate() {
        let started = index_of(&log, &Event::ContainerStarted(n as u32 + 1));
        let exit = log.records[..started]
            .iter()
            .rposition(|r| r.event == Event::Exited(Some(3)))
            .unwrap();
        let gap = at(&log, started) - at(&log, exit);
        let want = Duration::from_millis(2 * seconds);
        println!("restart {}: waited {gap:?}, back-off {want:?}", n + 1);
        assert!(
            gap >= want && gap < want + Duration::from_millis(150),
            "restart {}: {gap:?}\n{log}",
            n + 1
        );
    }
}

/// The log of a pod whose liveness fails once (the worker's heartbeat stops after 300 ms,
/// liveness answers 503 a second later) and whose process ignores SIGTERM, so that only
/// SIGKILL ends it, up to its restart.
async fn killed_once(grace: u64, extra: &str) -> Log {
    let probes = format!(
        "livenessProbe: {{httpGet: {{path: /health, port: http}}, periodSeconds: 2, failureThreshold: 1}}\n{extra}"
    );
    let pod = kubelet(TARGET, &pod_manifest(grace, &probes), 50)
        .env("HEARTBEAT_STALL_AFTER_MS", 300)
        .env("IGNORE_SIGTERM", 1)
        .start();
    pod.wait_for("a restart", BOUND, |log| log.restarts() >= 1)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_container_sends_sigterm_then_sigkill_after_the_grace_period() {
    let log = killed_once(2, "").await;
    println!("{}", log.summary());
    let unhealthy = index_of(&log, &Event::Unhealthy(Probe::Liveness));
    let sigterm = index_of(&log, &Event::Sigterm);
    let sigkill = index_of(&log, &Event::Sigkill);
    let exited = index_of(&log, &Event::Exited(None));
    let restarted = index_of(&log, &Event::ContainerStarted(1));
    assert!(
        unhealthy < sigterm && sigterm < sigkill && sigkill < exited && exited < restarted,
        "{log}"
    );
    let grace = at(&log, sigkill) - at(&log, sigterm);
    println!("SIGTERM to SIGKILL: {grace:?}");
    assert!(
        grace >= Duration::from_secs(2) && grace < Duration::from_millis(2_500),
        "{grace:?}\n{log}"
    );
    // The first restart does not back off.
    assert!(
        !log.events().any(|e| matches!(e, Event::BackOff(_))),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_container_runs_the_pre_stop_hook_inside_the_grace_period() {
    let log = killed_once(3, "lifecycle: {preStop: {sleep: {seconds: 1}}}").await;
    let pre_stop = at(&log, index_of(&log, &Event::PreStop));
    let sigterm = at(&log, index_of(&log, &Event::Sigterm));
    let sigkill = at(&log, index_of(&log, &Event::Sigkill));
    println!(
        "preStop {:?}, then SIGKILL {:?} later",
        sigterm - pre_stop,
        sigkill - sigterm
    );
    assert!(sigterm - pre_stop >= Duration::from_secs(1), "{log}");
    // 3 s of grace less the 1 s hook.
    assert!(
        sigkill - sigterm >= Duration::from_secs(2)
            && sigkill - sigterm < Duration::from_millis(2_500),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_pod_status_runs_readiness_right_after_startup_succeeds() {
    // Readiness would wait 100 s (5 s here) for its first tick; the trigger runs it at once.
    let manifest = pod_manifest(
        30,
        "startupProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 1, failureThreshold: 100}\nreadinessProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 100}",
    );
    let pod = kubelet(TARGET, &manifest, 50)
        .env("MODEL_LOAD_MS", 500)
        .start();
    let log = pod.wait_for("ready", BOUND, Log::ever_ready).await;
    drop(pod);
    let started = at(&log, index_of(&log, &Event::Started));
    let ready = at(&log, index_of(&log, &Event::Endpoints(true)));
    println!(
        "{}; ready {:?} after startup",
        log.summary(),
        ready - started
    );
    assert!(ready - started < Duration::from_millis(500), "{log}");
    // Its first run is the triggered one (a second trigger may queue, as the kubelet's
    // one-slot channel does), long before its first tick.
    assert_eq!(
        log.outcomes(Probe::Readiness)[0],
        &Outcome::Status(200),
        "{log}"
    );
    assert!(ready < Duration::from_secs(5), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_pod_status_makes_a_container_without_readiness_probe_ready_at_start() {
    let manifest = pod_manifest(
        30,
        "livenessProbe: {httpGet: {path: /health, port: http}, periodSeconds: 100}",
    );
    let pod = kubelet(TARGET, &manifest, 50).start();
    let log = pod.wait_for("ready", BOUND, Log::ever_ready).await;
    drop(pod);
    // Ready as the container starts, before any probe ran.
    assert_eq!(log.records[1].event, Event::Ready(true), "{log}");
    assert_eq!(log.records[2].event, Event::Endpoints(true), "{log}");
    assert!(log.outcomes(Probe::Liveness).is_empty(), "{log}");

    // With a startup probe, as soon as startup succeeds.
    let manifest = pod_manifest(
        30,
        "startupProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 1, failureThreshold: 100}",
    );
    let pod = kubelet(TARGET, &manifest, 50)
        .env("MODEL_LOAD_MS", 300)
        .start();
    let log = pod.wait_for("ready", BOUND, Log::ever_ready).await;
    drop(pod);
    let started = index_of(&log, &Event::Started);
    assert_eq!(log.records[started + 1].event, Event::Ready(true), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_probe_carries_the_readiness_success_run_across_a_restart() {
    // successThreshold 3: the first container needs three successes to become ready; the
    // restarted one goes on counting the same run, so its first success is enough.
    let manifest = pod_manifest(
        1,
        "startupProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 1, failureThreshold: 100}\nlivenessProbe: {httpGet: {path: /health, port: http}, periodSeconds: 1, failureThreshold: 1}\nreadinessProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 4, successThreshold: 3}",
    );
    let pod = kubelet(TARGET, &manifest, 50)
        .env("HEARTBEAT_STALL_AFTER_MS", 1_500)
        .env("IGNORE_SIGTERM", 1)
        .start();
    let log = pod
        .wait_for("ready again after a restart", BOUND, |log| {
            log.records
                .iter()
                .any(|r| r.container == 1 && r.event == Event::Endpoints(true))
        })
        .await;
    drop(pod);
    println!("{}", log.summary());
    let successes_before_ready = |container: u32| {
        let ready = log
            .records
            .iter()
            .position(|r| r.container == container && r.event == Event::Endpoints(true))
            .unwrap();
        log.records[..ready]
            .iter()
            .filter(|r| {
                r.container == container
                    && r.event == Event::Probed(Probe::Readiness, Outcome::Status(200))
            })
            .count()
    };
    assert_eq!(successes_before_ready(0), 3, "{log}");
    assert_eq!(successes_before_ready(1), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_probe_stops_liveness_and_startup_once_deleting_while_readiness_goes_on() {
    // After its 500 ms drain the server stops listening and the process lingers 1.5 s:
    // a liveness probe then would fail and restart it, but liveness has stopped.
    let manifest = pod_manifest(
        5,
        "startupProbe: {httpGet: {path: /health/started, port: http}, periodSeconds: 1, failureThreshold: 100}\nlivenessProbe: {httpGet: {path: /health, port: http}, periodSeconds: 1, failureThreshold: 1}\nreadinessProbe: {httpGet: {path: /health/ready, port: http}, periodSeconds: 1, failureThreshold: 1}",
    );
    let pod = kubelet(TARGET, &manifest, 50)
        .env("DRAIN_MS", 500)
        .env("EXIT_DELAY_MS", 1_500)
        .start();
    // Readiness fails (no Redis), so the pod is running and started but not ready.
    pod.wait_for("started", BOUND, Log::ever_started).await;
    pod.run_for(Duration::from_millis(300)).await;
    let log = pod.delete().await;
    println!("{}", log.summary());
    let deleting = index_of(&log, &Event::Deleting);
    let exited = index_of(&log, &Event::Exited(Some(0)));
    let after = &log.records[deleting..exited];
    assert!(
        !after
            .iter()
            .any(|r| matches!(r.event, Event::Probed(Probe::Liveness | Probe::Startup, _))),
        "{log}"
    );
    // Readiness went on, through the drain and after the listener closed.
    assert!(
        after
            .iter()
            .any(|r| r.event == Event::Probed(Probe::Readiness, Outcome::Status(503))),
        "{log}"
    );
    assert!(
        after
            .iter()
            .any(|r| matches!(r.event, Event::Probed(Probe::Readiness, Outcome::Error(_)))),
        "{log}"
    );
    assert!(
        !log.events()
            .any(|e| matches!(e, Event::Unhealthy(_) | Event::Sigkill)),
        "{log}"
    );
    assert_eq!(log.restarts(), 0, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn do_probe_throws_away_prober_errors() {
    // Liveness on another port, whose answers announce 100 bytes and send 4: the body
    // read errs every time, and the results are thrown away instead of counted.
    let head =
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 100\r\nconnection: close\r\n\r\n";
    let broken = raw_http_server(head, b"half", Duration::ZERO).await;
    let probes = |port: u16| {
        format!(
            "readinessProbe: {{httpGet: {{path: /health/started, port: http}}, periodSeconds: 100}}\nlivenessProbe: {{httpGet: {{path: /, port: {port}}}, periodSeconds: 1, failureThreshold: 1}}"
        )
    };
    let pod = kubelet(TARGET, &pod_manifest(30, &probes(broken.port())), 50).start();
    let log = pod
        .wait_for("five liveness probes", BOUND, |log| {
            log.outcomes(Probe::Liveness).len() >= 5
        })
        .await;
    drop(pod);
    assert!(
        log.outcomes(Probe::Liveness)
            .iter()
            .all(|o| matches!(o, Outcome::Discarded(_))),
        "{log}"
    );
    assert_eq!(log.kills(), [], "{log}");

    // The same 500 with its whole body counts, and one failure restarts the container.
    let whole = raw_http_server(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\n",
        b"half",
        Duration::ZERO,
    )
    .await;
    let pod = kubelet(TARGET, &pod_manifest(30, &probes(whole.port())), 50).start();
    let log = pod
        .wait_for("a kill", BOUND, |log| !log.kills().is_empty())
        .await;
    drop(pod);
    assert_eq!(
        log.outcomes(Probe::Liveness),
        [&Outcome::Status(500)],
        "{log}"
    );
}

/// `NewRequestForHTTPGetAction`: the request is built from the manifest's `httpGet`, its
/// `httpHeaders` (a `Host`, an empty `Accept` that removes the default) and its `host`
/// (the host called instead of the pod's IP). Readiness names the service's port (8000,
/// which nothing serves here); startup and liveness call a server on a port of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_request_for_http_get_action_takes_http_headers_and_host_from_the_manifest() {
    let server = ScriptedServer::start("127.0.0.1:0", |_, _| {
        reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    let port = server.addr().port();
    let probes = format!(
        "readinessProbe: {{httpGet: {{path: /ready, port: http}}, periodSeconds: 100}}
startupProbe: {{httpGet: {{path: /started, port: {port}, host: localhost}}, periodSeconds: 1}}
livenessProbe: {{httpGet: {{path: /live, port: {port}, httpHeaders: [{{name: Host, value: api.example.com}}, {{name: Accept, value: ''}}, {{name: x-probe, value: kubelet}}]}}, periodSeconds: 1}}"
    );
    let pod = kubelet("/bin/sh", &pod_manifest(30, &probes), 50)
        .arg("-c")
        .arg("sleep 30")
        .start();
    let log = pod
        .wait_for("a liveness probe", BOUND, |log| {
            !log.outcomes(Probe::Liveness).is_empty()
        })
        .await;
    drop(pod);
    assert_eq!(
        log.outcomes(Probe::Startup),
        [&Outcome::Status(200)],
        "{log}"
    );
    assert_eq!(
        log.outcomes(Probe::Liveness)[0],
        &Outcome::Status(200),
        "{log}"
    );
    let requests = server.requests();
    let find = |path: &str| {
        requests
            .iter()
            .find(|r| request_target(r) == path)
            .unwrap_or_else(|| panic!("no request for {path}: {requests:#?}"))
    };
    let started = find("/started");
    let host = format!("localhost:{port}");
    assert_eq!(
        request_header(started, "host"),
        Some(host.as_str()),
        "{started}"
    );
    assert_eq!(request_header(started, "accept"), Some("*/*"), "{started}");
    let live = find("/live");
    assert_eq!(
        request_header(live, "host"),
        Some("api.example.com"),
        "{live}"
    );
    assert_eq!(request_header(live, "accept"), None, "{live}");
    assert_eq!(request_header(live, "x-probe"), Some("kubelet"), "{live}");
    assert_eq!(
        request_header(live, "user-agent"),
        Some("kube-probe/1.34"),
        "{live}"
    );
}
