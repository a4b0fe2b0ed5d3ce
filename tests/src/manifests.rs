//! Manifests for the deploy tests: the reference article's checks and YAML, wrapping a
//! probe section into a whole Deployment, and the platforms' own rules:
//! `kubernetes-validate --strict` over several Kubernetes versions, the apiserver's probe
//! validation (`pkg/apis/core/validation/validation.go`) transcribed, and Container Apps'
//! API definitions transcribed as a JSON schema (`tests/fixtures/container-apps.schema.json`).

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

/// The Kubernetes versions the manifests are validated against: the oldest the validator
/// ships, the first with `preStop` sleep on by default, and recent ones.
pub const KUBERNETES_VERSIONS: [&str; 4] = ["1.25.0", "1.30.0", "1.34.0", "1.37.0"];

/// Runs `kubernetes-validate --strict` on `manifest` for each of [`KUBERNETES_VERSIONS`]:
/// `Ok` when every one validates, else the outputs. Panics when the validator is not
/// installed (`scripts/install-test-deps`).
pub fn kubernetes_validate(manifest: &str) -> Result<(), String> {
    let errors: Vec<String> = KUBERNETES_VERSIONS
        .iter()
        .filter_map(|version| {
            kubernetes_validate_version(manifest, version)
                .err()
                .map(|e| format!("Kubernetes {version}: {e}"))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// `kubernetes-validate --strict -k <version>` on `manifest`.
pub fn kubernetes_validate_version(manifest: &str, version: &str) -> Result<(), String> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let path: PathBuf = std::env::temp_dir().join(format!(
        "health-runtime-validate-{}-{}.yaml",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, manifest).expect("write the manifest to a temporary file");
    let output = Command::new("kubernetes-validate")
        .arg("--strict")
        .args(["-k", version])
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

/// Every error the Container Apps API definitions (transcribed in
/// `tests/fixtures/container-apps.schema.json`) find in `yaml`: a Container App or a
/// `probes:` list.
pub fn container_apps_schema_errors(yaml: &str) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../fixtures/container-apps.schema.json"))
                .expect("the schema is JSON");
        jsonschema::validator_for(&schema).expect("a valid JSON schema")
    });
    let document: serde_json::Value = match yaml_serde::from_str(yaml) {
        Ok(document) => document,
        Err(error) => return vec![format!("not YAML: {error}")],
    };
    validator
        .iter_errors(&document)
        .map(|error| format!("{}: {error}", error.instance_path))
        .collect()
}

/// Every error the apiserver's validation (`validateContainers`, `validateProbe`,
/// `validateLivenessProbe` / `validateStartupProbe` / `validateReadinessProbe`,
/// `validateHTTPGetAction`, `ValidatePortNumOrName`, `validateLifecycle`,
/// `validateSleepAction`, `validateGRPCAction`, applied after `SetDefaults_Probe`) finds in the containers of
/// `yaml`: a Deployment, a Pod or a bare probe section.
pub fn apiserver_errors(yaml: &str) -> Vec<String> {
    let mut errors = Vec::new();
    for document in yaml_serde::Deserializer::from_str(yaml) {
        let value = match <yaml_serde::Value as serde::Deserialize>::deserialize(document) {
            Ok(value) => value,
            Err(error) => return vec![format!("not YAML: {error}")],
        };
        let value: serde_json::Value = serde_json::to_value(&value).unwrap_or_default();
        apiserver_walk(&value, None, "", &mut errors);
    }
    errors
}

fn apiserver_walk(
    value: &serde_json::Value,
    grace: Option<i64>,
    path: &str,
    errors: &mut Vec<String>,
) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let grace = match map.get("containers") {
                Some(_) => {
                    let grace = map
                        .get("terminationGracePeriodSeconds")
                        .map_or(Some(30), Value::as_i64);
                    if grace.is_none() {
                        errors.push(format!(
                            "{path}.terminationGracePeriodSeconds: must be an integer"
                        ));
                    }
                    grace
                }
                None => grace,
            };
            let probes = ["livenessProbe", "readinessProbe", "startupProbe"];
            if probes.iter().any(|p| map.contains_key(*p)) {
                apiserver_container(map, grace, path, errors);
            }
            for (key, child) in map {
                if !probes.contains(&key.as_str()) {
                    apiserver_walk(child, grace, &format!("{path}.{key}"), errors);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                apiserver_walk(item, grace, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

fn apiserver_container(
    container: &serde_json::Map<String, serde_json::Value>,
    grace: Option<i64>,
    path: &str,
    errors: &mut Vec<String>,
) {
    if let Some(name) = container.get("name") {
        let name = name.as_str().unwrap_or_default();
        if !is_dns_label(name) {
            errors.push(format!("{path}.name: {name:?} must be a DNS-1123 label"));
        }
        if container
            .get("image")
            .and_then(|i| i.as_str())
            .is_none_or(|i| i.is_empty())
        {
            errors.push(format!("{path}.image: Required value"));
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = container.get(key) {
            apiserver_probe(key, probe, &format!("{path}.{key}"), errors);
        }
    }
    let sleep = container
        .get("lifecycle")
        .and_then(|l| l.get("preStop"))
        .and_then(|p| p.get("sleep"))
        .and_then(|s| s.get("seconds"));
    if let (Some(seconds), Some(grace)) = (sleep, grace) {
        let seconds = seconds.as_i64().unwrap_or(-1);
        if seconds <= 0 || seconds > grace {
            errors.push(format!(
                "{path}.lifecycle.preStop.sleep: {seconds} must be greater than 0 and less than terminationGracePeriodSeconds ({grace})"
            ));
        }
    }
}

fn apiserver_probe(kind: &str, probe: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    // `SetDefaults_Probe` turns an absent or zero field into its default first.
    let int32 = |field: &str, default: i64| -> Result<i64, String> {
        match probe.get(field).map(|v| v.as_i64()) {
            None | Some(Some(0)) => Ok(default),
            Some(Some(n)) if i32::try_from(n).is_ok() => Ok(n),
            _ => Err(format!("{path}.{field}: must be an int32")),
        }
    };
    for (field, default) in [
        ("initialDelaySeconds", 0),
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ] {
        match int32(field, default) {
            Err(error) => errors.push(error),
            Ok(n) if n < 0 => errors.push(format!(
                "{path}.{field}: must be greater than or equal to 0"
            )),
            Ok(_) => {}
        }
    }
    if kind != "readinessProbe" && int32("successThreshold", 1) != Ok(1) {
        errors.push(format!("{path}.successThreshold: must be 1"));
    }
    match probe
        .get("terminationGracePeriodSeconds")
        .map(|v| v.as_i64())
    {
        Some(_) if kind == "readinessProbe" => {
            errors.push(format!(
                "{path}.terminationGracePeriodSeconds: must not be set for readinessProbes"
            ));
        }
        Some(Some(n)) if n <= 0 => errors.push(format!(
            "{path}.terminationGracePeriodSeconds: must be greater than 0"
        )),
        _ => {}
    }
    let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
        .into_iter()
        .filter(|h| probe.get(*h).is_some())
        .collect();
    match handlers.as_slice() {
        [] => errors.push(format!("{path}: must specify a handler type")),
        [_] => {}
        _ => errors.push(format!("{path}: may not specify more than 1 handler type")),
    }
    if let Some(get) = probe.get("httpGet") {
        apiserver_http_get(get, path, errors);
    }
    if let Some(grpc) = probe.get("grpc") {
        apiserver_grpc(grpc, path, errors);
    }
}

/// `validateGRPCAction`: `port` is an `int32` port number (no name), `service` an optional
/// string.
fn apiserver_grpc(grpc: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    match grpc.get("port") {
        Some(serde_json::Value::Number(n))
            if n.as_i64().is_some_and(|p| (1..=65535).contains(&p)) => {}
        other => errors.push(format!(
            "{path}.grpc.port: {other:?} must be between 1 and 65535, inclusive"
        )),
    }
    if let Some(service) = grpc.get("service")
        && !service.is_string()
    {
        errors.push(format!("{path}.grpc.service: {service:?} must be a string"));
    }
}

/// `validateHTTPGetAction` and `ValidatePortNumOrName`.
fn apiserver_http_get(get: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    if get
        .get("path")
        .and_then(|p| p.as_str())
        .is_none_or(str::is_empty)
    {
        errors.push(format!("{path}.httpGet.path: Required value"));
    }
    match get.get("port") {
            Some(serde_json::Value::Number(n)) if n.as_i64().is_some_and(|p| (1..=65535).contains(&p)) => {}
            Some(serde_json::Value::String(name)) if is_port_name(name) => {}
            other => errors.push(format!("{path}.httpGet.port: {other:?} must be between 1 and 65535, inclusive, or an IANA_SVC_NAME")),
        }
    if let Some(scheme) = get.get("scheme").and_then(|s| s.as_str())
        && !["HTTP", "HTTPS"].contains(&scheme)
    {
        errors.push(format!(
            "{path}.httpGet.scheme: Unsupported value {scheme:?}"
        ));
    }
}

/// `IsDNS1123Label`.
fn is_dns_label(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&name.len())
        && name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

/// `IsValidPortName`: an IANA service name.
fn is_port_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}
