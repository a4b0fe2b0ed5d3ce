//! The manifest lint: every contradiction between a manifest's probes and the checks.
#![cfg(feature = "deploy")]

use std::time::Duration;

use health_runtime::deploy::{
    DeployConfig, Finding, FindingKind, LintError, kubernetes_probes, lint, run_command,
};
use health_runtime::{Check, Probe};
use tests::manifests::{
    ARTICLE_CONTAINER_APPS, ARTICLE_KUBERNETES, article_checks, deployment_with,
};

/// The library's defaults but for the shutdown budget, which the rules tested here leave
/// alone (30 s of drain and no shutdown timeout: readiness at the article's 15 s × 2 and
/// the default 30 s grace period both fit).
fn config() -> DeployConfig {
    DeployConfig::new()
        .drain_delay(Duration::from_secs(30))
        .shutdown_timeout(Duration::ZERO)
}

fn kinds(findings: &[Finding]) -> Vec<(Option<Probe>, &FindingKind)> {
    findings.iter().map(|f| (f.probe, &f.kind)).collect()
}

#[test]
fn flags_the_article_kubernetes_timeouts() {
    let findings = lint(ARTICLE_KUBERNETES, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [
            (
                Some(Probe::Startup),
                &FindingKind::TimeoutTooShort {
                    timeout_seconds: 1,
                    explicit: false,
                    check: "embedding_model".into(),
                    check_timeout: Duration::from_secs(1),
                    needed_seconds: 2,
                }
            ),
            (
                Some(Probe::Readiness),
                &FindingKind::TimeoutTooShort {
                    timeout_seconds: 1,
                    explicit: false,
                    check: "openai".into(),
                    check_timeout: Duration::from_secs(4),
                    needed_seconds: 5,
                }
            ),
        ],
        "{findings:#?}"
    );
    assert!(findings.iter().all(|f| f.container == "ai-service"));
    let message = findings[1].to_string();
    assert_eq!(
        message,
        "container `ai-service`, readiness probe: timeoutSeconds is 1 (the default: none is \
         set) but check `openai` may take 4000 ms; the probe gives up before the service \
         answers. Set timeoutSeconds to at least 5"
    );
}

#[test]
fn flags_a_startup_budget_shorter_than_the_expected_startup() {
    // 30 × 10 s: the 30th failure lands 290 s after the first probe.
    let config = DeployConfig::new().expected_startup(Duration::from_secs(600));
    let findings = lint(ARTICLE_KUBERNETES, &article_checks(), &config).unwrap();
    assert!(
        findings.iter().any(|f| f.kind
            == FindingKind::StartupBudgetTooShort {
                budget: Duration::from_secs(290),
                expected_startup: Duration::from_secs(600),
            }),
        "{findings:#?}"
    );
}

#[test]
fn flags_the_article_container_apps_probes() {
    let findings = lint(ARTICLE_CONTAINER_APPS, &article_checks(), &config()).unwrap();
    let kinds = kinds(&findings);
    // Container Apps caps failureThreshold at 10: the article's 30 is rejected outright.
    assert!(kinds.contains(&(
        Some(Probe::Startup),
        &FindingKind::OutOfRange {
            field: "failureThreshold",
            value: 30,
            min: 1,
            max: 10
        }
    )));
    assert!(
        kinds
            .iter()
            .any(|(probe, kind)| *probe == Some(Probe::Readiness)
                && matches!(
                    kind,
                    FindingKind::TimeoutTooShort {
                        needed_seconds: 5,
                        ..
                    }
                )),
        "{findings:#?}"
    );
}

#[test]
fn flags_liveness_on_the_readiness_path() {
    let manifest = "
livenessProbe:
  httpGet: {path: /health/ready, port: 8000}
  timeoutSeconds: 5
readinessProbe:
  httpGet: {path: /health/ready, port: 8000}
  timeoutSeconds: 5
startupProbe:
  httpGet: {path: /health/started, port: 8000}
  timeoutSeconds: 2
  failureThreshold: 10
";
    let findings = lint(manifest, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [(
            Some(Probe::Liveness),
            &FindingKind::LivenessOnReadinessPath {
                path: "/health/ready".into()
            }
        )]
    );
    // A single readiness check is a dependency too.
    let one = manifest.replace("/health/ready", "/health/ready/postgres");
    let findings = lint(&one, &article_checks(), &config()).unwrap();
    assert!(matches!(
        findings[0].kind,
        FindingKind::LivenessOnReadinessPath { .. }
    ));
}

#[test]
fn flags_readiness_on_the_liveness_path() {
    let manifest = "
startupProbe:
  httpGet: {path: /health/started, port: 8000}
  timeoutSeconds: 2
  failureThreshold: 10
readinessProbe:
  httpGet: {path: /health, port: 8000}
";
    let findings = lint(manifest, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [(
            Some(Probe::Readiness),
            &FindingKind::ReadinessOnLivenessPath {
                path: "/health".into()
            }
        )]
    );
}

#[test]
fn flags_a_slow_starter_without_a_startup_probe() {
    let manifest = "
livenessProbe:
  httpGet: {path: /health, port: 8000}
readinessProbe:
  httpGet: {path: /health/ready, port: 8000}
  timeoutSeconds: 5
";
    // The article's service has a startup check (the embedding model).
    let findings = lint(manifest, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [(
            None,
            &FindingKind::MissingStartupProbe {
                expected_startup: Duration::from_secs(30),
                liveness_budget: Duration::from_secs(20),
            }
        )]
    );
    // Without startup checks, only an expected startup past liveness's budget is slow.
    let quick = [Check::new("postgres", || async {}).timeout(Duration::from_secs(2))];
    let fast = config().expected_startup(Duration::from_secs(5));
    assert_eq!(lint(manifest, &quick, &fast).unwrap(), []);
    let slow = config().expected_startup(Duration::from_secs(120));
    assert_eq!(lint(manifest, &quick, &slow).unwrap().len(), 1);
}

#[test]
fn flags_success_thresholds_other_than_one_on_liveness_and_startup() {
    let section = kubernetes_probes(&article_checks(), &config())
        .unwrap()
        .to_yaml()
        .replace("successThreshold: 1", "successThreshold: 2");
    let findings = lint(&section, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [
            (
                Some(Probe::Startup),
                &FindingKind::SuccessThresholdNotOne { value: 2 }
            ),
            (
                Some(Probe::Liveness),
                &FindingKind::SuccessThresholdNotOne { value: 2 }
            ),
        ]
    );
}

#[test]
fn flags_paths_without_a_handler_and_the_wrong_port() {
    let manifest = "
startupProbe:
  httpGet: {path: /health/started, port: 8000}
  timeoutSeconds: 2
  failureThreshold: 10
livenessProbe:
  httpGet: {path: /healthz, port: 8000}
readinessProbe:
  httpGet: {path: /health/ready/no_such_check, port: 8080}
";
    let findings = lint(manifest, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [
            (
                Some(Probe::Liveness),
                &FindingKind::NoHandler {
                    path: "/healthz".into()
                }
            ),
            (
                Some(Probe::Readiness),
                &FindingKind::WrongPort {
                    port: "8080".into(),
                    expected: 8000
                }
            ),
            (
                Some(Probe::Readiness),
                &FindingKind::NoHandler {
                    path: "/health/ready/no_such_check".into()
                }
            ),
        ]
    );
}

#[test]
fn reads_every_container_of_every_document() {
    let generated = kubernetes_probes(&article_checks(), &config())
        .unwrap()
        .to_yaml();
    let manifest = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: ai-service}}\nspec:\n  ports: [{{port: 80}}]\n---\n{}",
        deployment_with(&generated).replace(
            "      containers:\n",
            "      containers:\n        - name: sidecar\n          image: envoy\n          livenessProbe:\n            httpGet: {path: /ready, port: 9901}\n",
        )
    );
    let containers = health_runtime::deploy::declared_probes(&manifest).unwrap();
    let names: Vec<_> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sidecar", "ai-service"]);
    // The service's container is clean; the sidecar's probes are its own business.
    assert_eq!(lint(&manifest, &article_checks(), &config()).unwrap(), []);
    // Alone, the sidecar is linted all the same: its HTTP probe reaches no health handler.
    let sidecar = "
name: envoy
livenessProbe:
  httpGet: {path: /ready, port: 9901}
  successThreshold: 3
";
    let findings = lint(sidecar, &article_checks(), &config()).unwrap();
    assert_eq!(
        kinds(&findings),
        [
            (
                Some(Probe::Liveness),
                &FindingKind::SuccessThresholdNotOne { value: 3 }
            ),
            (
                Some(Probe::Liveness),
                &FindingKind::WrongPort {
                    port: "9901".into(),
                    expected: 8000
                }
            ),
            (
                Some(Probe::Liveness),
                &FindingKind::NoHandler {
                    path: "/ready".into()
                }
            ),
            (
                None,
                &FindingKind::MissingReadinessProbe {
                    checks: ["postgres", "redis", "openai", "embedding_model"]
                        .map(String::from)
                        .to_vec(),
                }
            ),
            (
                None,
                &FindingKind::MissingStartupProbe {
                    expected_startup: Duration::from_secs(30),
                    liveness_budget: Duration::from_secs(20),
                }
            ),
        ]
    );
}

#[test]
fn refuses_a_manifest_without_probes_or_yaml() {
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n";
    assert_eq!(
        lint(service, &article_checks(), &config()),
        Err(LintError::NoProbes)
    );
    assert!(matches!(
        lint("livenessProbe: [", &article_checks(), &config()),
        Err(LintError::Yaml(_))
    ));
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_command(
        std::iter::once("/usr/local/bin/ai-service")
            .chain(args.iter().copied())
            .map(str::to_owned),
        &article_checks(),
        &config(),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn the_lint_command_exits_non_zero_on_findings() {
    let dir = std::env::temp_dir().join(format!("health-runtime-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let article = dir.join("article.yaml");
    std::fs::write(&article, ARTICLE_KUBERNETES).unwrap();
    let (code, out, _) = run(&["lint", article.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("check `openai` may take 4000 ms"), "{out}");
    assert!(out.ends_with("2 finding(s)\n"), "{out}");

    let (code, generated, _) = run(&["probes", "kubernetes"]);
    assert_eq!(code, Some(0));
    let clean = dir.join("generated.yaml");
    std::fs::write(&clean, generated).unwrap();
    let (code, out, _) = run(&["lint", clean.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");

    let (code, _, err) = run(&["lint", dir.join("missing.yaml").to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_command_leaves_other_arguments_to_the_service() {
    assert_eq!(run(&[]).0, None);
    assert_eq!(run(&["--port", "8000"]).0, None);
    let (code, _, err) = run(&["probes", "nomad"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("usage:"), "{err}");
    let (code, out, _) = run(&["probes", "container-apps"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("- type: Readiness"), "{out}");
}

/// A service binary's own `lint` subcommand (here `probe_target`, built on
/// `run_command_from_env`) exits 1 on the article's manifest and 0 on its own probes.
#[test]
fn a_service_binary_lints_manifests_with_its_exit_code() {
    let binary = env!("CARGO_BIN_EXE_probe_target");
    let dir = std::env::temp_dir().join(format!("health-runtime-bin-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let article = dir.join("article.yaml");
    std::fs::write(&article, ARTICLE_KUBERNETES).unwrap();
    let output = std::process::Command::new(binary)
        .arg("lint")
        .arg(&article)
        .output()
        .unwrap();
    tests::capture::output("probe_target", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    // The service's readiness runs its 2 s Redis check; the article leaves 1 s.
    assert!(
        stdout.contains("check `redis` may take 2000 ms"),
        "{stdout}"
    );
    assert!(stdout.contains("the startup budget is 290 s"), "{stdout}");

    let own = std::process::Command::new(binary)
        .args(["probes", "kubernetes"])
        .output()
        .unwrap();
    tests::capture::output("probe_target", &own);
    assert!(own.status.success());
    let generated = dir.join("generated.yaml");
    std::fs::write(&generated, &own.stdout).unwrap();
    let output = std::process::Command::new(binary)
        .arg("lint")
        .arg(&generated)
        .output()
        .unwrap();
    tests::capture::output("probe_target", &output);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_a_whole_container_app() {
    let generated = health_runtime::deploy::container_apps_probes(&article_checks(), &config())
        .unwrap()
        .to_yaml();
    let mut app = String::from(
        "location: westeurope
name: ai-service
type: Microsoft.App/containerApps
properties:
  template:
    containers:
      - name: ai-service
        image: registry.example/ai-service:1.0.0
",
    );
    for line in generated.lines() {
        app.push_str("        ");
        app.push_str(line);
        app.push('\n');
    }
    let containers = health_runtime::deploy::declared_probes(&app).unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0].name, "ai-service");
    assert_eq!(containers[0].probes.len(), 3);
    assert_eq!(lint(&app, &article_checks(), &config()).unwrap(), []);
    // The same container with the article's 30 failures and no timeouts.
    let broken: String = app
        .replace("failureThreshold: 4", "failureThreshold: 30")
        .lines()
        .filter(|line| line.trim() != "timeoutSeconds: 5")
        .map(|line| format!("{line}\n"))
        .collect();
    let findings = lint(&broken, &article_checks(), &config()).unwrap();
    assert!(
        findings.iter().any(|f| matches!(
            f.kind,
            FindingKind::OutOfRange {
                field: "failureThreshold",
                value: 30,
                ..
            }
        )),
        "{findings:#?}\n{broken}"
    );
    assert!(
        findings.iter().any(|f| f.probe == Some(Probe::Readiness)
            && matches!(
                f.kind,
                FindingKind::TimeoutTooShort {
                    explicit: false,
                    ..
                }
            )),
        "{findings:#?}"
    );
}

#[test]
fn flags_a_grace_period_a_pre_stop_hook_and_a_readiness_slower_than_the_drain() {
    // The defaults: 5 s of drain and 25 s of shutdown, so 30 s of grace. The service
    // starts at once.
    let pod = |grace: &str, pre_stop: &str, period: u64| {
        format!(
            "spec:\n  {grace}\n  containers:\n    - name: api\n      {pre_stop}\n      readinessProbe: {{httpGet: {{path: /health/ready, port: 8000}}, periodSeconds: {period}, failureThreshold: 3, timeoutSeconds: 5}}\n      livenessProbe: {{httpGet: {{path: /health, port: 8000}}}}\n"
        )
    };
    let checks: Vec<Check> = Vec::new();
    let quick = DeployConfig::new().expected_startup(Duration::from_secs(5));
    let lint_pod = |yaml: String| lint(&yaml, &checks, &quick).unwrap();
    assert_eq!(
        lint_pod(pod("terminationGracePeriodSeconds: 30", "", 1)),
        []
    );
    // No grace period written: the platforms' 30 s, which is enough.
    assert_eq!(lint_pod(pod("", "", 1)), []);
    let short = lint_pod(pod("terminationGracePeriodSeconds: 20", "", 1));
    assert_eq!(
        kinds(&short),
        [(
            None,
            &FindingKind::GracePeriodTooShort {
                grace_seconds: 20,
                needed_seconds: 30
            }
        )]
    );
    assert!(
        short[0].to_string().contains("set it to at least 30"),
        "{}",
        short[0]
    );
    let hooked = lint_pod(pod(
        "terminationGracePeriodSeconds: 30",
        "lifecycle: {preStop: {exec: {command: [/bin/sh, -c, sleep 10]}}}",
        1,
    ));
    assert_eq!(
        kinds(&hooked),
        [(
            None,
            &FindingKind::PreStopEatsGracePeriod {
                pre_stop_seconds: 10,
                grace_seconds: 30,
                needed_seconds: 30
            }
        )]
    );
    assert!(
        hooked[0].to_string().contains("at least 40"),
        "{}",
        hooked[0]
    );
    let sleepy = lint_pod(pod(
        "terminationGracePeriodSeconds: 45",
        "lifecycle: {preStop: {sleep: {seconds: 10}}}",
        1,
    ));
    assert_eq!(sleepy, []);
    let slow = lint_pod(pod("terminationGracePeriodSeconds: 30", "", 10));
    assert_eq!(
        kinds(&slow),
        [(
            Some(Probe::Readiness),
            &FindingKind::ReadinessSlowerThanDrain {
                notice: Duration::from_secs(30),
                drain_delay: Duration::from_secs(5)
            }
        )]
    );
    // The reference article's readiness, 15 s × 2 against a 5 s drain.
    let article = lint(ARTICLE_KUBERNETES, &article_checks(), &DeployConfig::new()).unwrap();
    assert!(
        article
            .iter()
            .any(|f| matches!(f.kind, FindingKind::ReadinessSlowerThanDrain { .. }))
    );
}
