//! Reads the containers, probes and shutdown settings a manifest declares: Deployments,
//! Pods and other pod templates, Container Apps, and bare probe sections.

use std::fmt;

use serde::Deserialize;
use yaml_serde::Value;

use health_rules::Probe;

use super::platform::Platform;

/// Both platforms' grace period when a pod spec or Container Apps template sets none.
const DEFAULT_GRACE_SECONDS: u64 = 30;

/// A probe as a manifest declares it, with the platform defaults filled in for the fields
/// it leaves out (Kubernetes and Container Apps share them: period 10 s, timeout 1 s,
/// success 1, failure 3, no initial delay).
///
/// ```
/// use health_runtime::Probe;
/// use health_runtime::deploy::declared_probes;
///
/// let containers = declared_probes("livenessProbe: {httpGet: {path: /health, port: 8000}}").unwrap();
/// let liveness = containers[0].probe(Probe::Liveness).unwrap();
/// assert_eq!((liveness.period_seconds, liveness.timeout_seconds), (10, 1));
/// assert!(!liveness.timeout_explicit);
///
/// let with_headers = "readinessProbe:
///   httpGet: {path: /ready, port: 8000, httpHeaders: [{name: Host, value: api.example.com}]}";
/// let readiness = declared_probes(with_headers).unwrap()[0].probes[0].clone();
/// assert_eq!(readiness.http_headers, [("Host".to_owned(), "api.example.com".to_owned())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredProbe {
    /// Which probe.
    pub probe: Probe,
    /// The `httpGet` path, or `None` for an exec, TCP or gRPC probe.
    pub path: Option<String>,
    /// The `httpGet` port as written (a number or a port name).
    pub port: Option<String>,
    /// The `httpGet` scheme as written (`HTTP` or `HTTPS`), `None` when absent (HTTP).
    pub scheme: Option<String>,
    /// The `httpGet` host, `None` when absent (the pod's IP).
    pub host: Option<String>,
    /// The `httpGet` `httpHeaders`, name and value, in order.
    pub http_headers: Vec<(String, String)>,
    /// The `grpc` action, for a gRPC probe.
    pub grpc: Option<DeclaredGrpc>,
    /// `initialDelaySeconds`.
    pub initial_delay_seconds: u64,
    /// `periodSeconds`.
    pub period_seconds: u64,
    /// `timeoutSeconds`.
    pub timeout_seconds: u64,
    /// Whether `timeoutSeconds` was written or is the 1 s default.
    pub timeout_explicit: bool,
    /// `successThreshold`.
    pub success_threshold: u64,
    /// `failureThreshold`.
    pub failure_threshold: u64,
}

/// The `grpc:` of a declared probe.
///
/// ```
/// use health_runtime::Probe;
/// use health_runtime::deploy::declared_probes;
///
/// let containers = declared_probes("livenessProbe: {grpc: {port: 50051}}").unwrap();
/// let grpc = containers[0].probe(Probe::Liveness).unwrap().grpc.clone().unwrap();
/// assert_eq!((grpc.port.as_deref(), grpc.service), (Some("50051"), None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredGrpc {
    /// The port as written.
    pub port: Option<String>,
    /// The `service` as written, `None` when absent (the kubelet then asks `""`).
    pub service: Option<String>,
}

/// A container of a manifest: its probes and how it is shut down.
///
/// ```
/// use health_runtime::deploy::declared_probes;
///
/// let pod = "
/// spec:
///   terminationGracePeriodSeconds: 45
///   containers:
///     - name: api
///       readinessProbe: {httpGet: {path: /health/ready, port: http}}
///       ports: [{name: http, containerPort: 8000}]
/// ";
/// let container = &declared_probes(pod).unwrap()[0];
/// assert_eq!(container.name, "api");
/// assert_eq!(container.termination_grace_period_seconds, Some(45));
/// assert_eq!(container.port_number("http"), Some(8000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredContainer {
    /// The container's `name`, or `(unnamed)` when it has none (a bare probe section).
    pub name: String,
    /// Kubernetes (`livenessProbe`, ...) or Container Apps (`probes:`).
    pub platform: Platform,
    /// Its probes.
    pub probes: Vec<DeclaredProbe>,
    /// The grace period of its pod or template (30 s when that sets none), or `None` for a
    /// bare probe section, which says nothing about shutdown.
    pub termination_grace_period_seconds: Option<u64>,
    /// How long its `preStop` hook sleeps (`sleep.seconds`, or `exec` of `sleep N`).
    pub pre_stop_sleep_seconds: Option<u64>,
    /// Its named ports (`ports[].name` → `containerPort`), for probes that name one.
    pub named_ports: Vec<(String, u16)>,
}

impl DeclaredContainer {
    /// The declared probe of the given kind.
    pub fn probe(&self, probe: Probe) -> Option<&DeclaredProbe> {
        self.probes.iter().find(|p| p.probe == probe)
    }

    /// The number of a port named in `ports:`, or the port itself when it is a number.
    pub fn port_number(&self, port: &str) -> Option<u16> {
        port.parse().ok().or_else(|| {
            self.named_ports
                .iter()
                .find(|(name, _)| name == port)
                .map(|(_, number)| *number)
        })
    }
}

/// Why a manifest could not be read.
///
/// ```
/// use health_runtime::deploy::{LintError, declared_probes};
///
/// assert_eq!(declared_probes("kind: Service"), Err(LintError::NoProbes));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LintError {
    /// The text is not YAML.
    Yaml(String),
    /// No container in it declares a probe.
    NoProbes,
}

impl fmt::Display for LintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LintError::Yaml(error) => write!(f, "the manifest is not valid YAML: {error}"),
            LintError::NoProbes => f.write_str(
                "no container in the manifest declares a probe (looked for livenessProbe, \
                 readinessProbe, startupProbe and Container Apps `probes:`)",
            ),
        }
    }
}

impl std::error::Error for LintError {}

/// The containers with probes in `yaml`: one or more documents holding Deployments, Pods,
/// Container Apps, or bare probe sections such as the generators print.
pub fn declared_probes(yaml: &str) -> Result<Vec<DeclaredContainer>, LintError> {
    let mut containers = Vec::new();
    for document in yaml_serde::Deserializer::from_str(yaml) {
        let value = Value::deserialize(document).map_err(|e| LintError::Yaml(e.to_string()))?;
        collect(&value, None, &mut containers);
    }
    if containers.is_empty() {
        return Err(LintError::NoProbes);
    }
    Ok(containers)
}

const KUBERNETES_KEYS: [(&str, Probe); 3] = [
    ("startupProbe", Probe::Startup),
    ("livenessProbe", Probe::Liveness),
    ("readinessProbe", Probe::Readiness),
];

/// Walks `value`; `grace` is the grace period of the pod spec or template the walk is in.
fn collect(value: &Value, grace: Option<u64>, out: &mut Vec<DeclaredContainer>) {
    match value {
        Value::Mapping(map) => {
            // A mapping with `containers` is a pod spec or a Container Apps template: its
            // grace period applies to every container below it.
            let grace = if map.get("containers").is_some() {
                Some(
                    number(value, "terminationGracePeriodSeconds").unwrap_or(DEFAULT_GRACE_SECONDS),
                )
            } else {
                grace
            };
            out.extend(container(value, grace, Platform::Kubernetes));
            out.extend(container(value, grace, Platform::ContainerApps));
            for (key, child) in map {
                let is_probe = key
                    .as_str()
                    .is_some_and(|k| k == "probes" || KUBERNETES_KEYS.iter().any(|(p, _)| *p == k));
                if !is_probe {
                    collect(child, grace, out);
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect(item, grace, out)),
        Value::Tagged(tagged) => collect(&tagged.value, grace, out),
        _ => {}
    }
}

/// The container `value` describes on `platform`, if it declares probes there.
fn container(value: &Value, grace: Option<u64>, platform: Platform) -> Option<DeclaredContainer> {
    let probes: Vec<_> = match platform {
        Platform::Kubernetes => KUBERNETES_KEYS
            .iter()
            .filter_map(|(key, probe)| value.get(*key).map(|v| declared(*probe, v)))
            .collect(),
        Platform::ContainerApps => value
            .get("probes")?
            .as_sequence()?
            .iter()
            .filter_map(|item| {
                let kind = item.get("type")?.as_str()?.to_ascii_lowercase();
                Some(declared(kind.parse().ok()?, item))
            })
            .collect(),
    };
    if probes.is_empty() {
        return None;
    }
    Some(DeclaredContainer {
        name: value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_owned(),
        platform,
        probes,
        termination_grace_period_seconds: grace,
        pre_stop_sleep_seconds: value
            .get("lifecycle")
            .and_then(|l| l.get("preStop"))
            .and_then(pre_stop_sleep),
        named_ports: named_ports(value),
    })
}

fn number(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn declared(probe: Probe, value: &Value) -> DeclaredProbe {
    let http = value.get("httpGet");
    let timeout = number(value, "timeoutSeconds");
    DeclaredProbe {
        probe,
        path: http.map(|h| {
            h.get("path")
                .and_then(scalar)
                .unwrap_or_else(|| "/".to_owned())
        }),
        port: http.and_then(|h| h.get("port")).and_then(scalar),
        scheme: http.and_then(|h| h.get("scheme")).and_then(scalar),
        host: http.and_then(|h| h.get("host")).and_then(scalar),
        http_headers: http
            .and_then(|h| h.get("httpHeaders"))
            .and_then(Value::as_sequence)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|header| {
                        let name = header.get("name").and_then(scalar)?;
                        Some((
                            name,
                            header.get("value").and_then(scalar).unwrap_or_default(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        grpc: value.get("grpc").map(|grpc| DeclaredGrpc {
            port: grpc.get("port").and_then(scalar),
            service: grpc.get("service").and_then(scalar),
        }),
        initial_delay_seconds: number(value, "initialDelaySeconds").unwrap_or(0),
        period_seconds: number(value, "periodSeconds").unwrap_or(10),
        timeout_seconds: timeout.unwrap_or(1),
        timeout_explicit: timeout.is_some(),
        success_threshold: number(value, "successThreshold").unwrap_or(1),
        failure_threshold: number(value, "failureThreshold").unwrap_or(3),
    }
}

/// `sleep: {seconds: N}`, or an `exec` whose command ends in `sleep N`.
fn pre_stop_sleep(pre_stop: &Value) -> Option<u64> {
    if let Some(sleep) = pre_stop.get("sleep") {
        return number(sleep, "seconds");
    }
    let command = pre_stop.get("exec")?.get("command")?.as_sequence()?;
    let words: Vec<String> = command
        .iter()
        .filter_map(scalar)
        .flat_map(|part| {
            part.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let at = words
        .iter()
        .rposition(|w| w == "sleep" || w.ends_with("/sleep"))?;
    words.get(at + 1)?.trim_end_matches('s').parse().ok()
}

fn named_ports(container: &Value) -> Vec<(String, u16)> {
    let Some(ports) = container.get("ports").and_then(Value::as_sequence) else {
        return Vec::new();
    };
    ports
        .iter()
        .filter_map(|port| {
            let name = port.get("name")?.as_str()?.to_owned();
            let number = u16::try_from(number(port, "containerPort")?).ok()?;
            Some((name, number))
        })
        .collect()
}
