//! Generated probe manifests: the rules (timeouts cover the slowest check, the startup
//! budget covers the expected startup, Container Apps' ranges) and `kubernetes-validate
//! --strict` on every generated Kubernetes manifest.
#![cfg(feature = "deploy")]

use std::time::Duration;

use health_runtime::deploy::{
    DeployConfig, DeployError, Platform, container_apps_probes, declared_probes, kubernetes_probes,
    lint,
};
use health_runtime::{Check, Probe, RouteOptions};
use tests::manifests::{article_checks, deployment_with, kubernetes_validate};

fn check(name: &'static str, timeout_ms: u64, probes: &[Probe]) -> Check {
    Check::new(name, || async {})
        .timeout(Duration::from_millis(timeout_ms))
        .probes(probes.iter().copied().collect::<health_runtime::ProbeSet>())
}

/// Check sets and configurations that the generated manifests must hold for.
fn cases() -> Vec<(&'static str, Vec<Check>, DeployConfig)> {
    vec![
        ("article", article_checks(), DeployConfig::new()),
        (
            "slow model, custom paths",
            vec![
                check("model", 3_000, &[Probe::Startup, Probe::Readiness]),
                check("heartbeat", 100, &[Probe::Liveness]),
            ],
            DeployConfig::new()
                .port(8080)
                .routes(
                    &RouteOptions::new()
                        .liveness_path("/livez")
                        .readiness_path("/readyz")
                        .startup_path("/startupz"),
                )
                .expected_startup(Duration::from_secs(900))
                .initial_delay(Duration::from_secs(5)),
        ),
        (
            "paths set one by one",
            article_checks(),
            DeployConfig::new()
                .liveness_path("/livez")
                .readiness_path("/readyz")
                .startup_path("/startupz"),
        ),
        ("no checks", Vec::new(), DeployConfig::new()),
        (
            "sub-second checks, fast periods",
            vec![check("cache", 250, &[Probe::Readiness])],
            DeployConfig::new()
                .readiness_period(Duration::from_millis(500))
                .readiness_success_threshold(2)
                .expected_startup(Duration::ZERO),
        ),
        (
            "slowest allowed check",
            vec![check("batch", 239_000, &[Probe::Readiness])],
            DeployConfig::new(),
        ),
    ]
}

#[test]
fn readiness_timeout_covers_the_slowest_check_not_the_sum() {
    let probes = kubernetes_probes(&article_checks(), &DeployConfig::new()).unwrap();
    // Postgres 2 s, Redis 1 s, OpenAI 4 s run concurrently: 4 s + the 1 s margin.
    assert_eq!(probes.readiness_probe.timeout_seconds, 5);
    // Startup runs only the embedding model (1 s).
    assert_eq!(probes.startup_probe.timeout_seconds, 2);
    // Liveness runs no dependency check.
    assert_eq!(probes.liveness_probe.timeout_seconds, 1);
}

#[test]
fn timeouts_round_up_and_follow_the_margin() {
    let checks = [check("flaky", 1_500, &[Probe::Readiness])];
    let default = kubernetes_probes(&checks, &DeployConfig::new()).unwrap();
    assert_eq!(default.readiness_probe.timeout_seconds, 3); // ceil(1.5 + 1)
    let tight = DeployConfig::new().timeout_margin(Duration::from_millis(200));
    let tight = kubernetes_probes(&checks, &tight).unwrap();
    assert_eq!(tight.readiness_probe.timeout_seconds, 2); // ceil(1.7)
}

#[test]
fn a_period_never_is_shorter_than_the_timeout() {
    let checks = [check("openai", 4_000, &[Probe::Readiness])];
    let config = DeployConfig::new().readiness_period(Duration::from_secs(2));
    let probes = kubernetes_probes(&checks, &config).unwrap();
    assert_eq!(probes.readiness_probe.timeout_seconds, 5);
    assert_eq!(probes.readiness_probe.period_seconds, 5);
}

#[test]
fn success_threshold_is_one_for_liveness_and_startup() {
    for (name, checks, config) in cases() {
        let config = config.readiness_success_threshold(3);
        let probes = kubernetes_probes(&checks, &config).unwrap();
        assert_eq!(probes.liveness_probe.success_threshold, 1, "{name}");
        assert_eq!(probes.startup_probe.success_threshold, 1, "{name}");
        assert_eq!(probes.readiness_probe.success_threshold, 3, "{name}");
    }
}

#[test]
fn startup_budget_covers_the_expected_startup() {
    for expected in [0, 1, 9, 10, 11, 60, 299, 300, 301, 3_600] {
        let config = DeployConfig::new().expected_startup(Duration::from_secs(expected));
        let k8s = kubernetes_probes(&article_checks(), &config).unwrap();
        let startup = &k8s.startup_probe;
        let budget = (startup.failure_threshold - 1) * startup.period_seconds;
        assert!(
            budget >= expected,
            "Kubernetes, {expected} s: budget {budget} s"
        );
        // The smallest threshold that does: one fewer would not cover it.
        if startup.failure_threshold > 1 {
            assert!((startup.failure_threshold - 2) * startup.period_seconds < expected);
        }
    }
    let config = DeployConfig::new().expected_startup(Duration::from_secs(600));
    let probes = kubernetes_probes(&article_checks(), &config).unwrap();
    assert_eq!(probes.startup_probe.period_seconds, 10);
    assert_eq!(probes.startup_probe.failure_threshold, 61);
}

#[test]
fn container_apps_stretches_the_startup_period_to_fit_ten_failures() {
    for expected in [0, 30, 90, 91, 600, 2_160] {
        let config = DeployConfig::new().expected_startup(Duration::from_secs(expected));
        let aca = container_apps_probes(&article_checks(), &config).unwrap();
        let startup = aca.probes.iter().find(|p| p.kind == "Startup").unwrap();
        assert!(startup.failure_threshold <= 10, "{expected} s");
        assert!(startup.period_seconds <= 240, "{expected} s");
        assert!(
            (startup.failure_threshold - 1) * startup.period_seconds >= expected,
            "{expected} s: {startup:?}"
        );
    }
}

#[test]
fn container_apps_rejects_a_startup_it_cannot_cover() {
    let config = DeployConfig::new().expected_startup(Duration::from_secs(2_161));
    let error = container_apps_probes(&article_checks(), &config).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::StartupTooLong {
                platform: Platform::ContainerApps,
                ..
            }
        ),
        "{error:?}"
    );
    // Kubernetes has no such cap.
    kubernetes_probes(&article_checks(), &config).unwrap();
}

#[test]
fn container_apps_names_the_check_that_cannot_fit() {
    let checks = [
        check("postgres", 2_000, &[Probe::Readiness]),
        check("warehouse_export", 240_000, &[Probe::Readiness]),
    ];
    let error = container_apps_probes(&checks, &DeployConfig::new()).unwrap_err();
    assert_eq!(
        error,
        DeployError::CheckTooSlow {
            platform: Platform::ContainerApps,
            probe: Probe::Readiness,
            check: "warehouse_export".into(),
            check_timeout: Duration::from_secs(240),
            needed_seconds: 241,
            max_seconds: 240,
        }
    );
    let message = error.to_string();
    assert!(message.contains("`warehouse_export`"), "{message}");
    assert!(message.contains("240"), "{message}");
    // With a smaller margin it fits exactly.
    let config = DeployConfig::new().timeout_margin(Duration::ZERO);
    let probes = container_apps_probes(&checks, &config).unwrap();
    assert_eq!(probes.probes[2].timeout_seconds, 240);
}

#[test]
fn container_apps_rejects_settings_out_of_its_ranges() {
    let too_many = DeployConfig::new().liveness_failure_threshold(11);
    let error = container_apps_probes(&article_checks(), &too_many).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::OutOfRange {
                field: "failureThreshold",
                probe: Probe::Liveness,
                value: 11,
                min: 1,
                max: 10,
                ..
            }
        ),
        "{error:?}"
    );
    let late = DeployConfig::new().initial_delay(Duration::from_secs(61));
    let error = container_apps_probes(&article_checks(), &late).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::OutOfRange {
                field: "initialDelaySeconds",
                value: 61,
                ..
            }
        ),
        "{error:?}"
    );
    // An explicit zero delay is no delay, which Container Apps accepts.
    let now = DeployConfig::new().initial_delay(Duration::ZERO);
    let probes = container_apps_probes(&article_checks(), &now).unwrap();
    assert!(
        probes
            .probes
            .iter()
            .all(|p| p.initial_delay_seconds.is_none())
    );
    let never = DeployConfig::new().readiness_failure_threshold(0);
    assert!(kubernetes_probes(&article_checks(), &never).is_err());
}

#[test]
fn container_apps_probes_stay_within_their_ranges() {
    for (name, checks, config) in cases() {
        let probes = container_apps_probes(&checks, &config).unwrap();
        let kinds: Vec<_> = probes.probes.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(kinds, ["Startup", "Liveness", "Readiness"], "{name}");
        for probe in &probes.probes {
            assert!(
                (1..=240).contains(&probe.timeout_seconds),
                "{name}: {probe:?}"
            );
            assert!(
                (1..=240).contains(&probe.period_seconds),
                "{name}: {probe:?}"
            );
            assert!(
                (1..=10).contains(&probe.failure_threshold),
                "{name}: {probe:?}"
            );
            assert!(
                (1..=10).contains(&probe.success_threshold),
                "{name}: {probe:?}"
            );
            if let Some(delay) = probe.initial_delay_seconds {
                assert!((1..=60).contains(&delay), "{name}: {probe:?}");
            }
        }
    }
}

#[test]
fn generated_manifests_read_back_and_lint_clean() {
    for (name, checks, config) in cases() {
        let k8s = kubernetes_probes(&checks, &config).unwrap().to_yaml();
        let aca = container_apps_probes(&checks, &config).unwrap().to_yaml();
        for (platform, yaml) in [("kubernetes", &k8s), ("container apps", &aca)] {
            let containers = declared_probes(yaml).unwrap();
            assert_eq!(containers.len(), 1, "{name}, {platform}");
            assert_eq!(containers[0].probes.len(), 3, "{name}, {platform}");
            let findings = lint(yaml, &checks, &config).unwrap();
            assert!(
                findings.is_empty(),
                "{name}, {platform}: {findings:#?}\n{yaml}"
            );
        }
    }
}

#[test]
fn the_yaml_explains_each_timeout() {
    let yaml = kubernetes_probes(&article_checks(), &DeployConfig::new())
        .unwrap()
        .to_yaml();
    assert!(
        yaml.contains("# readiness: timeout 5s covers check `openai` (4000 ms) + 1000 ms margin"),
        "{yaml}"
    );
    assert!(
        yaml.contains("readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n"),
        "{yaml}"
    );
}

#[test]
fn every_generated_kubernetes_manifest_validates_strictly() {
    for (name, checks, config) in cases() {
        let section = kubernetes_probes(&checks, &config).unwrap().to_yaml();
        let deployment = deployment_with(&section);
        if let Err(output) = kubernetes_validate(&deployment) {
            panic!("{name}: kubernetes-validate --strict rejected\n{deployment}\n{output}");
        }
    }
}

#[test]
fn the_validator_rejects_what_kubernetes_rejects() {
    // Guards the test above: a misspelt field must fail, or the validation proves nothing.
    let section = kubernetes_probes(&article_checks(), &DeployConfig::new())
        .unwrap()
        .to_yaml()
        .replace("timeoutSeconds", "timeoutSecs");
    assert!(kubernetes_validate(&deployment_with(&section)).is_err());
}

/// The manifests committed under `examples/deploy/` (each example's test keeps them in
/// sync with its checks).
fn committed_examples(suffix: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/deploy");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *{suffix} in {}", dir.display());
    files
}

#[test]
fn committed_kubernetes_examples_validate_strictly() {
    for (path, section) in committed_examples(".kubernetes.yaml") {
        if let Err(output) = kubernetes_validate(&deployment_with(&section)) {
            panic!("{path}: kubernetes-validate --strict rejected it\n{output}");
        }
    }
}

#[test]
fn committed_container_apps_examples_stay_within_their_ranges() {
    for (path, yaml) in committed_examples(".container-apps.yaml") {
        let containers = declared_probes(&yaml).unwrap();
        assert_eq!(containers[0].platform, Platform::ContainerApps, "{path}");
        for probe in &containers[0].probes {
            assert!(
                (1..=240).contains(&probe.timeout_seconds),
                "{path}: {probe:?}"
            );
            assert!(
                (1..=240).contains(&probe.period_seconds),
                "{path}: {probe:?}"
            );
            assert!(
                (1..=10).contains(&probe.failure_threshold),
                "{path}: {probe:?}"
            );
            assert!(
                (1..=10).contains(&probe.success_threshold),
                "{path}: {probe:?}"
            );
        }
    }
}

#[test]
fn the_probes_a_service_prints_for_itself_validate_strictly() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_probe_target"))
        .args(["probes", "kubernetes"])
        .output()
        .expect("run probe_target");
    assert!(output.status.success(), "{output:?}");
    let section = String::from_utf8(output.stdout).unwrap();
    if let Err(output) = kubernetes_validate(&deployment_with(&section)) {
        panic!("kubernetes-validate --strict rejected\n{section}\n{output}");
    }
}
