//! Kubernetes `grpc:` probes generated and linted like `httpGet:` ones (DESIGN §4b), and
//! Azure Container Apps, which has no gRPC probe, refused or flagged with what to use
//! instead.
#![cfg(feature = "deploy")]

use std::time::Duration;

use health_runtime::deploy::{
    DeployConfig, DeployError, FindingKind, GrpcAction, ProbeAction, container_apps_probes,
    declared_probes, kubernetes_probes, lint,
};
use health_runtime::{Check, Probe};
use tests::manifests::{
    apiserver_errors, article_checks, container_apps_schema_errors, deployment_with,
    kubernetes_validate,
};

fn grpc_config() -> DeployConfig {
    DeployConfig::new()
        .name("grpc-service")
        .image("registry.example/grpc-service:1.0.0")
        .grpc_port(50051)
}

fn grpc_of(action: &ProbeAction) -> &GrpcAction {
    match action {
        ProbeAction::Grpc(grpc) => grpc,
        other => panic!("not a gRPC probe: {other:?}"),
    }
}

#[test]
fn every_generated_grpc_probe_names_its_service() {
    let probes = kubernetes_probes(&article_checks(), &grpc_config()).unwrap();
    for probe in Probe::ALL {
        let grpc = grpc_of(&probes.probe(probe).action);
        assert_eq!(grpc.port, 50051, "{probe}");
        // Never `""`, which the library answers as readiness.
        assert_eq!(grpc.service, probe.as_str(), "{probe}");
    }
    let yaml = probes.to_yaml();
    assert!(
        yaml.contains("livenessProbe:\n  grpc:\n    port: 50051\n    service: liveness\n"),
        "{yaml}"
    );
    assert!(!yaml.contains("httpGet"), "{yaml}");
    assert!(
        yaml.contains("# liveness: timeout 1s (no checks); gRPC service `liveness`"),
        "{yaml}"
    );
}

#[test]
fn grpc_probes_get_the_timeouts_and_budgets_of_http_ones() {
    for expected in [0, 30, 300, 2_000] {
        let http = DeployConfig::new().expected_startup(Duration::from_secs(expected));
        let grpc = http.clone().grpc_port(50051);
        let http = kubernetes_probes(&article_checks(), &http).unwrap();
        let grpc = kubernetes_probes(&article_checks(), &grpc).unwrap();
        for probe in Probe::ALL {
            let (h, g) = (http.probe(probe), grpc.probe(probe));
            assert_eq!(
                (
                    h.initial_delay_seconds,
                    h.period_seconds,
                    h.timeout_seconds,
                    h.success_threshold,
                    h.failure_threshold
                ),
                (
                    g.initial_delay_seconds,
                    g.period_seconds,
                    g.timeout_seconds,
                    g.success_threshold,
                    g.failure_threshold
                ),
                "{probe}, {expected} s"
            );
        }
        assert_eq!(
            http.termination_grace_period_seconds,
            grpc.termination_grace_period_seconds
        );
    }
    // The readiness timeout covers the slowest check (OpenAI, 4 s) there too.
    let grpc = kubernetes_probes(&article_checks(), &grpc_config()).unwrap();
    assert_eq!(grpc.readiness_probe.timeout_seconds, 5);
}

#[test]
fn the_deployment_names_both_ports_or_only_the_grpc_one() {
    let both = kubernetes_probes(&[], &grpc_config())
        .unwrap()
        .deployment_yaml();
    assert!(
        both.contains(
            "ports:\n        - name: http\n          containerPort: 8000\n        - name: grpc\n          containerPort: 50051\n"
        ),
        "{both}"
    );
    let only = kubernetes_probes(&[], &grpc_config().grpc_only())
        .unwrap()
        .deployment_yaml();
    assert!(
        only.contains("ports:\n        - name: grpc\n          containerPort: 50051\n"),
        "{only}"
    );
    assert!(!only.contains("8000"), "{only}");
    // One port serving both is named once.
    let shared = kubernetes_probes(&[], &grpc_config().port(50051))
        .unwrap()
        .deployment_yaml();
    assert_eq!(shared.matches("containerPort").count(), 1, "{shared}");
}

#[test]
fn container_apps_has_no_grpc_probe_and_the_generator_says_what_to_use() {
    // gRPC and HTTP: Container Apps calls the HTTP routes.
    let probes = container_apps_probes(&article_checks(), &grpc_config()).unwrap();
    assert_eq!(probes.probes[1].http_get.path, "/health");
    assert_eq!(probes.probes[1].http_get.port, 8000);
    let app = probes.container_app_yaml();
    assert!(!app.contains("grpc:"), "{app}");
    // The app's traffic goes to the gRPC port, over HTTP/2.
    assert!(
        app.contains(
            "ingress:\n      external: true\n      targetPort: 50051\n      transport: http2\n"
        ),
        "{app}"
    );
    assert_eq!(container_apps_schema_errors(&app), Vec::<String>::new());
    // gRPC only: refused, not emitted.
    let error = container_apps_probes(&article_checks(), &grpc_config().grpc_only()).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::GrpcProbeUnsupported {
                grpc_port: Some(50051),
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Azure Container Apps has no gRPC probe"),
        "{message}"
    );
    assert!(
        message.contains("use an HTTP or TCP probe port"),
        "{message}"
    );
}

#[test]
fn grpc_settings_the_platforms_reject_are_refused() {
    let error = kubernetes_probes(&[], &DeployConfig::new().grpc_port(0)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the grpc_port `0` is invalid on Kubernetes: must be 1 to 65535"
    );
    let error = kubernetes_probes(&[], &DeployConfig::new().grpc_only()).unwrap_err();
    assert!(
        matches!(
            error,
            DeployError::Invalid {
                field: "grpc_port",
                ..
            }
        ),
        "{error:?}"
    );
    // A gRPC-only service has no HTTP port to get wrong.
    kubernetes_probes(&[], &grpc_config().grpc_only().port(0)).unwrap();
}

#[test]
fn generated_grpc_manifests_pass_the_platforms_own_rules_and_lint_clean() {
    let configs = [
        grpc_config(),
        grpc_config().grpc_only(),
        grpc_config().port(50051),
        grpc_config()
            .expected_startup(Duration::from_secs(900))
            .initial_delay(Duration::from_secs(5)),
    ];
    let mut kubernetes = Vec::new();
    for config in configs {
        let probes = kubernetes_probes(&article_checks(), &config).unwrap();
        for yaml in [deployment_with(&probes.to_yaml()), probes.deployment_yaml()] {
            assert_eq!(apiserver_errors(&yaml), Vec::<String>::new(), "{yaml}");
            let findings = lint(&yaml, &article_checks(), &config).unwrap();
            assert!(findings.is_empty(), "{findings:#?}\n{yaml}");
            kubernetes.push(yaml);
        }
        if let Ok(aca) = container_apps_probes(&article_checks(), &config) {
            for yaml in [aca.to_yaml(), aca.container_app_yaml()] {
                let errors = container_apps_schema_errors(&yaml);
                assert!(errors.is_empty(), "{errors:#?}\n{yaml}");
                assert!(lint(&yaml, &article_checks(), &config).unwrap().is_empty());
            }
        }
    }
    if let Err(output) = kubernetes_validate(&kubernetes.join("---\n")) {
        panic!("kubernetes-validate --strict rejected a gRPC manifest\n{output}");
    }
}

#[test]
fn the_platforms_rules_reject_a_broken_grpc_probe() {
    // Guards the test above: the apiserver rules and the validator see the grpc action.
    let deployment = kubernetes_probes(&[], &grpc_config())
        .unwrap()
        .deployment_yaml();
    for (to, error) in [
        ("port: 0", "grpc.port"),
        ("port: 65536", "grpc.port"),
        ("port: grpc", "grpc.port"),
    ] {
        let broken = deployment.replacen("port: 50051", to, 1);
        assert_ne!(broken, deployment);
        let errors = apiserver_errors(&broken);
        assert!(
            errors.iter().any(|e| e.contains(error)),
            "{to}: {errors:#?}"
        );
    }
    let misspelt = deployment.replacen("service: liveness", "serviceName: liveness", 1);
    assert!(kubernetes_validate(&misspelt).is_err());
}

/// A fast starter with room for any readiness period: only the gRPC rules speak.
fn lint_config() -> DeployConfig {
    grpc_config()
        .drain_delay(Duration::from_secs(30))
        .shutdown_timeout(Duration::ZERO)
        .expected_startup(Duration::from_secs(10))
}

fn lint_one(manifest: &str, checks: &[Check]) -> Vec<(Option<Probe>, FindingKind)> {
    lint(manifest, checks, &lint_config())
        .unwrap()
        .into_iter()
        .map(|f| (f.probe, f.kind))
        .collect()
}

#[test]
fn a_liveness_grpc_probe_without_service_is_flagged() {
    let manifest = "
livenessProbe:
  grpc: {port: 50051}
readinessProbe:
  grpc: {port: 50051}
";
    let checks = [];
    let findings = lint_one(manifest, &checks);
    // Readiness without a service asks `""`, which is readiness: fine.
    assert_eq!(
        findings,
        [(
            Some(Probe::Liveness),
            FindingKind::GrpcLivenessWithoutService
        )],
    );
    let message = lint(manifest, &checks, &lint_config()).unwrap()[0].to_string();
    assert_eq!(
        message,
        "container `(unnamed)`, liveness probe: the gRPC probe names no `service`, so the \
         kubelet asks `\"\"`, which is readiness: a dependency outage restarts the pod; set \
         `service: liveness`"
    );
    let fixed = manifest.replacen("{port: 50051}", "{port: 50051, service: liveness}", 1);
    assert_eq!(lint_one(&fixed, &checks), []);
}

#[test]
fn crossed_unknown_and_slow_grpc_services_are_flagged() {
    let checks = [
        Check::new("postgres", || async {}).timeout(Duration::from_secs(2)),
        Check::new("heartbeat", || async {})
            .timeout(Duration::from_millis(10))
            .probes([Probe::Liveness]),
    ];
    let findings = lint_one(
        "
livenessProbe:
  grpc: {port: 50051, service: ''}
readinessProbe:
  grpc: {port: 50051, service: liveness}
",
        &checks,
    );
    assert_eq!(
        findings,
        [
            (
                Some(Probe::Liveness),
                FindingKind::LivenessOnReadinessService {
                    service: String::new()
                }
            ),
            (
                Some(Probe::Liveness),
                FindingKind::TimeoutTooShort {
                    timeout_seconds: 1,
                    explicit: false,
                    check: "postgres".into(),
                    check_timeout: Duration::from_secs(2),
                    needed_seconds: 3,
                }
            ),
            (
                Some(Probe::Readiness),
                FindingKind::ReadinessOnLivenessService {
                    service: "liveness".into()
                }
            ),
            (
                Some(Probe::Readiness),
                FindingKind::TimeoutTooShort {
                    timeout_seconds: 1,
                    explicit: false,
                    check: "heartbeat".into(),
                    check_timeout: Duration::from_millis(10),
                    needed_seconds: 2,
                }
            ),
        ]
    );
    let findings = lint_one(
        "
livenessProbe:
  grpc: {port: 50052, service: heartbeat}
  timeoutSeconds: 2
readinessProbe:
  grpc: {port: 50051, service: postgress}
  timeoutSeconds: 3
",
        &checks,
    );
    assert_eq!(
        findings,
        [
            (
                Some(Probe::Liveness),
                FindingKind::WrongPort {
                    port: "50052".into(),
                    expected: 50051
                }
            ),
            (
                Some(Probe::Readiness),
                FindingKind::NoGrpcService {
                    service: "postgress".into()
                }
            ),
        ]
    );
    // A check's own service, with a timeout covering it, is fine.
    let findings = lint_one(
        "readinessProbe: {grpc: {port: 50051, service: postgres}, timeoutSeconds: 3}",
        &checks,
    );
    assert_eq!(findings, []);
}

#[test]
fn a_hand_written_container_app_with_a_grpc_probe_is_flagged() {
    let app = "
name: grpc-service
type: Microsoft.App/containerApps
properties:
  template:
    containers:
      - name: grpc-service
        image: registry.example/grpc-service:1.0.0
        probes:
          - type: Liveness
            grpc: {port: 50051, service: liveness}
          - type: Readiness
            httpGet: {path: /health/ready, port: 8000}
            periodSeconds: 1
";
    let checks = [];
    let findings = lint(app, &checks, &lint_config()).unwrap();
    let kinds: Vec<_> = findings.iter().map(|f| (f.probe, &f.kind)).collect();
    assert_eq!(
        kinds,
        [(Some(Probe::Liveness), &FindingKind::GrpcOnContainerApps)],
        "{findings:#?}"
    );
    let message = findings[0].to_string();
    assert!(
        message.contains("Azure Container Apps has no gRPC probe; use an HTTP or TCP probe port"),
        "{message}"
    );
    // The platform's own schema agrees.
    assert!(!container_apps_schema_errors(app).is_empty());
}

#[test]
fn declared_grpc_probes_read_back() {
    let yaml = kubernetes_probes(&[], &grpc_config()).unwrap().to_yaml();
    let container = &declared_probes(&yaml).unwrap()[0];
    for probe in Probe::ALL {
        let declared = container.probe(probe).unwrap();
        assert_eq!(declared.path, None);
        let grpc = declared.grpc.as_ref().unwrap();
        assert_eq!(grpc.port.as_deref(), Some("50051"));
        assert_eq!(grpc.service.as_deref(), Some(probe.as_str()));
    }
}
