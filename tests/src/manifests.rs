//! Manifests for the deploy tests: the reference article's checks and YAML, wrapping a
//! probe section into a whole Deployment, and `kubernetes-validate --strict`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use health_runtime::{Check, Probe};

/// The reference article's checks: Postgres 2 s, Redis 1 s and Azure OpenAI 4 s on
/// readiness, and the embedding model (no I/O, default 1 s) on startup and readiness.
pub fn article_checks() -> Vec<Check> {
    vec![
        Check::new("postgres", || async {}).timeout(Duration::from_secs(2)),
        Check::new("redis", || async {}).timeout(Duration::from_secs(1)),
        Check::new("openai", || async {}).timeout(Duration::from_secs(4)),
        Check::new("embedding_model", || async {}).probes([Probe::Startup, Probe::Readiness]),
    ]
}

/// The reference article's Kubernetes probes, as published: no `timeoutSeconds`
/// (`tests/fixtures/article-kubernetes.yaml`).
pub const ARTICLE_KUBERNETES: &str = include_str!("../fixtures/article-kubernetes.yaml");

/// The reference article's Azure Container Apps probes, as published
/// (`tests/fixtures/article-container-apps.yaml`).
pub const ARTICLE_CONTAINER_APPS: &str = include_str!("../fixtures/article-container-apps.yaml");

/// A whole `apps/v1` Deployment whose one container carries `probe_section` (the YAML
/// printed by `kubernetes_probes(...).to_yaml()`).
pub fn deployment_with(probe_section: &str) -> String {
    let mut yaml = String::from(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: ai-service
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ai-service
  template:
    metadata:
      labels:
        app: ai-service
    spec:
      containers:
        - name: ai-service
          image: registry.example/ai-service:1.0.0
          ports:
            - containerPort: 8000
",
    );
    for line in probe_section.lines() {
        if !line.is_empty() {
            yaml.push_str("          ");
            yaml.push_str(line);
        }
        yaml.push('\n');
    }
    yaml
}

/// Runs `kubernetes-validate --strict` on `manifest`: `Ok` when it validates, else its
/// output. Panics when the validator is not installed (`scripts/install-test-deps`).
pub fn kubernetes_validate(manifest: &str) -> Result<(), String> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let path: PathBuf = std::env::temp_dir().join(format!(
        "health-runtime-validate-{}-{}.yaml",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, manifest).expect("write the manifest to a temporary file");
    let output = Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.unwrap_or_else(|error| {
        panic!(
            "cannot run kubernetes-validate ({error}); install it with scripts/install-test-deps \
             (pip install kubernetes-validate)"
        )
    });
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
