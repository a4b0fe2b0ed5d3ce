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
use tests::manifests::{
    apiserver_errors, article_checks, container_apps_schema_errors, deployment_with,
    kubernetes_validate,
};

fn check(name: &'static str, timeout_ms: u64, probes: &[Probe]) -> Check {
    Check::new(name, || async {})
        .timeout(Duration::from_millis(timeout_ms))
        .probes(
            probes
                .iter()
                .copied()
                .collect::<health_runtime::probe::ProbeSet>(),
        )
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
                .expected_startup(Duration::ZERO)
                .shutdown_timeout(Duration::ZERO),
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
fn a_liveness_period_never_is_shorter_than_its_timeout() {
    let checks = [check("worker", 4_000, &[Probe::Liveness])];
    let config = DeployConfig::new().liveness_period(Duration::from_secs(2));
    let probes = kubernetes_probes(&checks, &config).unwrap();
    assert_eq!(probes.liveness_probe.timeout_seconds, 5);
    assert_eq!(probes.liveness_probe.period_seconds, 5);
}

#[test]
fn readiness_sees_the_shutdown_503_within_the_drain_delay() {
    // 5 s of drain and three failures: every second, whatever the check takes (the 503 of
    // a shutdown answers at once).
    let checks = [check("openai", 4_000, &[Probe::Readiness])];
    let probes = kubernetes_probes(&checks, &DeployConfig::new()).unwrap();
    assert_eq!(probes.readiness_probe.period_seconds, 1);
    let drain = DeployConfig::new().drain_delay(Duration::from_secs(60));
    let probes = kubernetes_probes(&checks, &drain).unwrap();
    assert_eq!(probes.readiness_probe.period_seconds, 10);
    // An explicit period that cannot see it is refused, with both ways out.
    let slow = DeployConfig::new().readiness_period(Duration::from_secs(15));
    let error = kubernetes_probes(&checks, &slow).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::DrainTooShort {
                period_seconds: 15,
                failure_threshold: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("raise the drain delay to at least 45 s"),
        "{error}"
    );
    // No drain at all cannot be seen by any readiness probe.
    let none = DeployConfig::new().drain_delay(Duration::ZERO);
    assert!(matches!(
        kubernetes_probes(&checks, &none),
        Err(DeployError::DrainTooShort { .. })
    ));
}

#[test]
fn the_grace_period_covers_pre_stop_drain_and_shutdown() {
    let config = DeployConfig::new()
        .drain_delay(Duration::from_secs(10))
        .shutdown_timeout(Duration::from_millis(20_500));
    let probes = kubernetes_probes(&[], &config).unwrap();
    assert_eq!(probes.termination_grace_period_seconds, 31);
    let hooked = config.clone().pre_stop_sleep(Duration::from_secs(5));
    let probes = kubernetes_probes(&[], &hooked).unwrap();
    assert_eq!(probes.termination_grace_period_seconds, 36);
    let deployment = probes.deployment_yaml();
    assert!(
        deployment.contains("terminationGracePeriodSeconds: 36"),
        "{deployment}"
    );
    let container = &declared_probes(&deployment).unwrap()[0];
    assert_eq!(container.pre_stop_sleep_seconds, Some(5), "{deployment}");
    assert_eq!(
        container.termination_grace_period_seconds,
        Some(36),
        "{deployment}"
    );
    // Container Apps has no preStop hook: only drain and shutdown count.
    let aca = container_apps_probes(&[], &hooked).unwrap();
    assert_eq!(aca.termination_grace_period_seconds, 31);
    assert!(
        aca.container_app_yaml()
            .contains("terminationGracePeriodSeconds: 31")
    );
}

#[test]
fn the_startup_the_platform_cannot_cover_is_refused_with_the_figure_of_this_config() {
    // Ten failures of at most 240 s with no initial delay: 9 × 240 = 2160 s.
    let config = DeployConfig::new().expected_startup(Duration::from_secs(2_200));
    let error = container_apps_probes(&article_checks(), &config).unwrap_err();
    assert_eq!(
        error,
        DeployError::StartupTooLong {
            platform: Platform::ContainerApps,
            expected: Duration::from_secs(2_200),
            max_budget: Duration::from_secs(2_160),
        }
    );
    assert!(
        error.to_string().contains("longer than the 2160 s"),
        "{error}"
    );
    // With a configured 40 s delay, the budget is 40 + 2160 and 2200 fits.
    let delayed = config.initial_delay(Duration::from_secs(40));
    container_apps_probes(&article_checks(), &delayed).unwrap();
}

#[test]
fn what_the_platforms_reject_is_refused_with_its_reason() {
    let cases: Vec<(DeployConfig, &str)> = vec![
        (
            DeployConfig::new().port(0),
            "the port `0` is invalid on Kubernetes: must be 1 to 65535",
        ),
        (
            DeployConfig::new().readiness_path("health/ready"),
            "must start with `/`",
        ),
        (
            DeployConfig::new().liveness_path("/health z"),
            "must not contain spaces",
        ),
        (
            DeployConfig::new().liveness_failure_threshold(0),
            "failureThreshold would be 0",
        ),
        (
            DeployConfig::new().readiness_success_threshold(0),
            "successThreshold would be 0",
        ),
        (
            DeployConfig::new().liveness_period(Duration::ZERO),
            "periodSeconds would be 0",
        ),
        (
            DeployConfig::new().name("AI_Service"),
            "the name `AI_Service` is invalid",
        ),
        (DeployConfig::new().name("-api"), "must start and end"),
        (DeployConfig::new().image(" "), "the image ` ` is invalid"),
        (
            DeployConfig::new().liveness_failure_threshold(u32::MAX),
            "accepts 1 to 2147483647",
        ),
    ];
    for (config, message) in cases {
        let error = kubernetes_probes(&article_checks(), &config)
            .unwrap_err()
            .to_string();
        assert!(error.contains(message), "{message}: {error}");
        assert!(
            container_apps_probes(&article_checks(), &config).is_err(),
            "{message}"
        );
    }
    // Container Apps' own name rule: 2 to 32 characters.
    let long = DeployConfig::new().name("a-name-longer-than-thirty-two-chars");
    kubernetes_probes(&article_checks(), &long).unwrap();
    let error = container_apps_probes(&article_checks(), &long).unwrap_err();
    assert!(
        error.to_string().contains("must be 2 to 32 characters"),
        "{error}"
    );
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
    // (9 × 240 s is the most ten failures can cover without an initial delay.)
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
                probe: Some(Probe::Liveness),
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

/// The four manifests of one case: the Kubernetes section (in a Deployment) and
/// Deployment, the Container Apps list and app.
fn generated(checks: &[Check], config: &DeployConfig) -> [(String, String); 4] {
    let k8s = kubernetes_probes(checks, config).unwrap();
    let aca = container_apps_probes(checks, config).unwrap();
    [
        ("kubernetes section".into(), deployment_with(&k8s.to_yaml())),
        ("kubernetes deployment".into(), k8s.deployment_yaml()),
        ("container apps list".into(), aca.to_yaml()),
        ("container app".into(), aca.container_app_yaml()),
    ]
}

#[test]
fn every_generated_manifest_passes_the_platforms_own_rules() {
    let mut kubernetes = Vec::new();
    for (name, checks, config) in cases() {
        let config = config
            .name("ai-service")
            .image("registry.example/ai-service:1.0.0");
        for (what, yaml) in generated(&checks, &config) {
            if what.starts_with("kubernetes") {
                let errors = apiserver_errors(&yaml);
                assert!(errors.is_empty(), "{name}, {what}: {errors:#?}\n{yaml}");
                kubernetes.push(yaml);
            } else {
                let errors = container_apps_schema_errors(&yaml);
                assert!(errors.is_empty(), "{name}, {what}: {errors:#?}\n{yaml}");
            }
        }
    }
    // One multi-document file per Kubernetes version keeps the validator's start-up cost down.
    if let Err(output) = kubernetes_validate(&kubernetes.join("---\n")) {
        panic!("kubernetes-validate --strict rejected a generated manifest\n{output}");
    }
}

#[test]
fn the_platforms_rules_reject_what_the_generator_refuses() {
    // Guards the test above: each value the generator refuses, written into a generated
    // manifest by hand, is what the platform's own rules reject.
    let k8s = kubernetes_probes(&article_checks(), &DeployConfig::new()).unwrap();
    let deployment = k8s.deployment_yaml();
    assert_eq!(apiserver_errors(&deployment), Vec::<String>::new());
    for (from, to, error) in [
        ("port: 8000", "port: 0", "httpGet.port"),
        ("port: 8000", "port: 65536", "httpGet.port"),
        ("path: /health\n", "path: ''\n", "httpGet.path"),
        ("- name: service", "- name: AI_Service", "DNS-1123"),
        (
            "successThreshold: 1",
            "successThreshold: 2",
            "successThreshold: must be 1",
        ),
        (
            "failureThreshold: 3",
            "failureThreshold: 3000000000",
            "int32",
        ),
    ] {
        let broken = deployment.replacen(from, to, 1);
        assert_ne!(broken, deployment, "{from}");
        let errors = apiserver_errors(&broken);
        assert!(
            errors.iter().any(|e| e.contains(error)),
            "{to}: {errors:#?}"
        );
    }
    let misspelt = deployment.replace("timeoutSeconds", "timeoutSecs");
    assert!(kubernetes_validate(&misspelt).is_err());

    let app = container_apps_probes(&article_checks(), &DeployConfig::new())
        .unwrap()
        .container_app_yaml();
    assert_eq!(container_apps_schema_errors(&app), Vec::<String>::new());
    for (from, to) in [
        ("failureThreshold: 3", "failureThreshold: 11"),
        ("port: 8000", "port: 0"),
        ("periodSeconds: 10", "periodSeconds: 241"),
        ("timeoutSeconds: 1", "timeoutSeconds: 0"),
        ("type: Liveness", "type: Alive"),
        ("successThreshold: 1", "successThreshold: 2"),
        ("name: service", "name: AI_Service"),
        ("timeoutSeconds: 1", "timeoutSecs: 1"),
    ] {
        let broken = app.replacen(from, to, 1);
        assert_ne!(broken, app, "{from}");
        assert!(
            !container_apps_schema_errors(&broken).is_empty(),
            "{to}\n{broken}"
        );
    }
    let delayed = app.replacen(
        "periodSeconds: 10",
        "initialDelaySeconds: 61\n      periodSeconds: 10",
        1,
    );
    assert!(!container_apps_schema_errors(&delayed).is_empty());
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
fn committed_examples_pass_the_platforms_own_rules() {
    let mut kubernetes = Vec::new();
    for (path, yaml) in committed_examples(".yaml") {
        if path.ends_with(".kubernetes.yaml") {
            kubernetes.push(deployment_with(&yaml));
        } else if path.ends_with(".deployment.yaml") {
            kubernetes.push(yaml);
        } else {
            let errors = container_apps_schema_errors(&yaml);
            assert!(errors.is_empty(), "{path}: {errors:#?}");
            continue;
        }
        let errors = apiserver_errors(kubernetes.last().unwrap());
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
    assert!(kubernetes.len() >= 4, "{kubernetes:?}");
    if let Err(output) = kubernetes_validate(&kubernetes.join("---\n")) {
        panic!("kubernetes-validate --strict rejected a committed example\n{output}");
    }
}

#[test]
fn the_probes_a_service_prints_for_itself_pass_the_platforms_own_rules() {
    let print = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_probe_target"))
            .args(args)
            .output()
            .expect("run probe_target");
        tests::capture::output("probe_target", &output);
        assert!(output.status.success(), "{output:?}");
        assert!(output.stderr.is_empty(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let deployment = print(&["probes", "kubernetes", "--deployment"]);
    let section = deployment_with(&print(&["probes", "kubernetes"]));
    for yaml in [&deployment, &section] {
        assert_eq!(apiserver_errors(yaml), Vec::<String>::new(), "{yaml}");
    }
    if let Err(output) = kubernetes_validate(&format!("{deployment}---\n{section}")) {
        panic!("kubernetes-validate --strict rejected\n{output}");
    }
    for args in [
        &["probes", "container-apps"][..],
        &["probes", "container-apps", "--app"],
    ] {
        let yaml = print(args);
        assert_eq!(
            container_apps_schema_errors(&yaml),
            Vec::<String>::new(),
            "{yaml}"
        );
    }
}
