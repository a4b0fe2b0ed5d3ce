//! Lints the probes of an existing manifest against the checks the service really runs.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use yaml_serde::Value;

use crate::{Check, Probe};

use super::DeployConfig;
use super::rules::{Platform, required_timeout_seconds, slowest_check, startup_budget};

/// A probe as a manifest declares it, with the platform defaults filled in for the fields
/// it leaves out (Kubernetes and Container Apps share them: period 10 s, timeout 1 s,
/// success 1, failure 3, no initial delay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredProbe {
    /// Which probe.
    pub probe: Probe,
    /// The `httpGet` path, or `None` for an exec, TCP or gRPC probe.
    pub path: Option<String>,
    /// The `httpGet` port as written (a number or a port name).
    pub port: Option<String>,
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

/// A container of a manifest and the probes it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredContainer {
    /// The container's `name`, or `(unnamed)` when it has none (a bare probe section).
    pub name: String,
    /// Kubernetes (`livenessProbe`, ...) or Container Apps (`probes:`).
    pub platform: Platform,
    /// Its probes.
    pub probes: Vec<DeclaredProbe>,
}

impl DeclaredContainer {
    /// The declared probe of the given kind.
    pub fn probe(&self, probe: Probe) -> Option<&DeclaredProbe> {
        self.probes.iter().find(|p| p.probe == probe)
    }
}

/// One contradiction between a manifest and the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The container it is about.
    pub container: String,
    /// The probe it is about, if one.
    pub probe: Option<Probe>,
    /// What is wrong.
    pub kind: FindingKind,
}

/// What a [`Finding`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindingKind {
    /// The probe gives up before its slowest check can answer: the kubelet counts a
    /// failure while the service is healthy (the reference article's bug).
    TimeoutTooShort {
        /// The probe's timeout.
        timeout_seconds: u64,
        /// Whether it was written or is the 1 s default.
        explicit: bool,
        /// The slowest check behind the probe's path.
        check: String,
        /// That check's timeout.
        check_timeout: Duration,
        /// The timeout the probe needs, margin included.
        needed_seconds: u64,
    },
    /// Liveness calls the readiness path: a dependency outage restarts every pod.
    LivenessOnReadinessPath {
        /// The path.
        path: String,
    },
    /// Readiness calls the liveness path: it never takes the pod out of traffic.
    ReadinessOnLivenessPath {
        /// The path.
        path: String,
    },
    /// The service has readiness checks but no readiness probe: traffic keeps coming while
    /// its dependencies are down.
    MissingReadinessProbe {
        /// The readiness checks nobody asks about.
        checks: Vec<String>,
    },
    /// A slow starter without a startup probe: liveness can restart it before it started.
    MissingStartupProbe {
        /// The declared expected startup.
        expected_startup: Duration,
        /// How long liveness waits before its restart.
        liveness_budget: Duration,
    },
    /// The startup probe's budget ends before the expected startup does.
    StartupBudgetTooShort {
        /// `initialDelaySeconds + (failureThreshold - 1) × periodSeconds`.
        budget: Duration,
        /// The declared expected startup.
        expected_startup: Duration,
    },
    /// Liveness and startup probes must have `successThreshold: 1`.
    SuccessThresholdNotOne {
        /// The value written.
        value: u64,
    },
    /// The path has no health handler: every probe gets a 404.
    NoHandler {
        /// The path.
        path: String,
    },
    /// The probe calls another port than the service listens on.
    WrongPort {
        /// The port written.
        port: String,
        /// The service's port.
        expected: u16,
    },
    /// A value Container Apps rejects.
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value written.
        value: u64,
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "container `{}`", self.container)?;
        if let Some(probe) = self.probe {
            write!(f, ", {probe} probe")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            FindingKind::TimeoutTooShort {
                timeout_seconds,
                explicit,
                check,
                check_timeout,
                needed_seconds,
            } => write!(
                f,
                "timeoutSeconds is {timeout_seconds}{} but check `{check}` may take {} ms; \
                 the probe gives up before the service answers. Set timeoutSeconds to at \
                 least {needed_seconds}",
                if *explicit {
                    ""
                } else {
                    " (the default: none is set)"
                },
                check_timeout.as_millis()
            ),
            FindingKind::LivenessOnReadinessPath { path } => write!(
                f,
                "liveness calls the readiness path `{path}`, so a dependency outage restarts \
                 the pod; point it at the liveness path"
            ),
            FindingKind::ReadinessOnLivenessPath { path } => write!(
                f,
                "readiness calls the liveness path `{path}`, which runs no dependency check, so \
                 the pod never leaves traffic; point it at the readiness path"
            ),
            FindingKind::MissingReadinessProbe { checks } => write!(
                f,
                "no readiness probe, so traffic keeps coming while readiness checks fail \
                 ({}); add a readinessProbe on the readiness path",
                checks.join(", ")
            ),
            FindingKind::MissingStartupProbe {
                expected_startup,
                liveness_budget,
            } => write!(
                f,
                "no startup probe, but the service starts slowly (startup checks, up to {} s) \
                 and liveness restarts it after {} s; add a startupProbe",
                expected_startup.as_secs(),
                liveness_budget.as_secs()
            ),
            FindingKind::StartupBudgetTooShort {
                budget,
                expected_startup,
            } => write!(
                f,
                "the startup budget is {} s but the service may take {} s to start, so it is \
                 restarted before it ever starts; raise failureThreshold or periodSeconds",
                budget.as_secs(),
                expected_startup.as_secs()
            ),
            FindingKind::SuccessThresholdNotOne { value } => write!(
                f,
                "successThreshold is {value}; liveness and startup probes must use 1"
            ),
            FindingKind::NoHandler { path } => {
                write!(
                    f,
                    "no health handler serves `{path}`; every probe gets a 404"
                )
            }
            FindingKind::WrongPort { port, expected } => {
                write!(f, "calls port {port} but the service listens on {expected}")
            }
            FindingKind::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(
                f,
                "{field} is {value}; Azure Container Apps accepts {min} to {max}"
            ),
        }
    }
}

/// Why a manifest could not be linted.
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
        collect(&value, &mut containers);
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

fn collect(value: &Value, out: &mut Vec<DeclaredContainer>) {
    match value {
        Value::Mapping(map) => {
            let name = map
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_owned();
            let kubernetes: Vec<_> = KUBERNETES_KEYS
                .iter()
                .filter_map(|(key, probe)| map.get(*key).map(|v| declared(*probe, v)))
                .collect();
            if !kubernetes.is_empty() {
                out.push(DeclaredContainer {
                    name: name.clone(),
                    platform: Platform::Kubernetes,
                    probes: kubernetes,
                });
            }
            if let Some(Value::Sequence(list)) = map.get("probes") {
                let probes: Vec<_> = list
                    .iter()
                    .filter_map(|item| {
                        let kind = item.get("type")?.as_str()?.to_ascii_lowercase();
                        Some(declared(kind.parse().ok()?, item))
                    })
                    .collect();
                if !probes.is_empty() {
                    out.push(DeclaredContainer {
                        name,
                        platform: Platform::ContainerApps,
                        probes,
                    });
                }
            }
            for (key, child) in map {
                let is_probe = key
                    .as_str()
                    .is_some_and(|k| k == "probes" || KUBERNETES_KEYS.iter().any(|(p, _)| *p == k));
                if !is_probe {
                    collect(child, out);
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Tagged(tagged) => collect(&tagged.value, out),
        _ => {}
    }
}

fn declared(probe: Probe, value: &Value) -> DeclaredProbe {
    let number = |key: &str| {
        value.get(key).and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    let http = value.get("httpGet");
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let timeout = number("timeoutSeconds");
    DeclaredProbe {
        probe,
        path: http.map(|h| {
            h.get("path")
                .and_then(scalar)
                .unwrap_or_else(|| "/".to_owned())
        }),
        port: http.and_then(|h| h.get("port")).and_then(scalar),
        initial_delay_seconds: number("initialDelaySeconds").unwrap_or(0),
        period_seconds: number("periodSeconds").unwrap_or(10),
        timeout_seconds: timeout.unwrap_or(1),
        timeout_explicit: timeout.is_some(),
        success_threshold: number("successThreshold").unwrap_or(1),
        failure_threshold: number("failureThreshold").unwrap_or(3),
    }
}

/// Lints the probes of the manifest `yaml` against `checks` (usually
/// [`Health::checks`](crate::Health::checks)) and `config`: every contradiction found,
/// empty when there is none. Containers whose probes call neither the service's port nor
/// its health paths (sidecars) are left alone, unless no container calls them.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, FindingKind, lint};
///
/// let checks = [Check::new("postgres", || async {}).timeout(Duration::from_secs(2))];
/// let manifest = "
/// readinessProbe:
///   httpGet: {path: /health/ready, port: 8000}
/// ";
/// let findings = lint(manifest, &checks, &DeployConfig::new()).unwrap();
/// assert!(matches!(
///     findings[0].kind,
///     FindingKind::TimeoutTooShort { timeout_seconds: 1, needed_seconds: 3, .. }
/// ));
/// ```
pub fn lint(
    yaml: &str,
    checks: &[Check],
    config: &DeployConfig,
) -> Result<Vec<Finding>, LintError> {
    let containers = declared_probes(yaml)?;
    // Sidecars (a proxy, a log shipper) have probes of their own: only the containers that
    // probe this service are linted, or every one when none visibly does.
    let service: Vec<_> = containers
        .iter()
        .filter(|container| probes_this_service(container, checks, config))
        .collect();
    let linted = if service.is_empty() {
        containers.iter().collect()
    } else {
        service
    };
    Ok(linted
        .into_iter()
        .flat_map(|container| lint_container(container, checks, config))
        .collect())
}

/// Whether an HTTP probe of `container` calls the service's port or one of its paths.
fn probes_this_service(
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> bool {
    container.probes.iter().any(|probe| {
        let Some(path) = &probe.path else {
            return false;
        };
        let port = probe.port.as_deref().and_then(|p| p.parse::<u16>().ok());
        port == Some(config.port) || !matches!(target(path, checks, config), Target::Nothing)
    })
}

fn lint_container(
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut report = |probe: Option<Probe>, kind: FindingKind| {
        findings.push(Finding {
            container: container.name.clone(),
            probe,
            kind,
        });
    };
    for declared in &container.probes {
        for kind in lint_probe(declared, container.platform, checks, config) {
            report(Some(declared.probe), kind);
        }
    }
    if container.probe(Probe::Readiness).is_none() {
        let checks: Vec<_> = checks
            .iter()
            .filter(|c| c.probe_set().contains(Probe::Readiness))
            .map(|c| c.name().to_owned())
            .collect();
        if !checks.is_empty() {
            report(None, FindingKind::MissingReadinessProbe { checks });
        }
    }
    let expected_startup = config.expected_startup;
    match container.probe(Probe::Startup) {
        Some(startup) => {
            let budget = startup_budget(
                startup.initial_delay_seconds,
                startup.period_seconds,
                startup.failure_threshold,
            );
            if budget < expected_startup {
                report(
                    Some(Probe::Startup),
                    FindingKind::StartupBudgetTooShort {
                        budget,
                        expected_startup,
                    },
                );
            }
        }
        None => {
            let liveness_budget = container.probe(Probe::Liveness).map(|liveness| {
                startup_budget(
                    liveness.initial_delay_seconds,
                    liveness.period_seconds,
                    liveness.failure_threshold,
                )
            });
            let has_startup_checks = slowest_check(checks, Probe::Startup).is_some();
            if let Some(liveness_budget) = liveness_budget
                && (has_startup_checks || liveness_budget < expected_startup)
            {
                report(
                    None,
                    FindingKind::MissingStartupProbe {
                        expected_startup,
                        liveness_budget,
                    },
                );
            }
        }
    }
    findings
}

/// Which probe's handler a path reaches, and which checks it runs there.
enum Target<'a> {
    Probe(Probe),
    OneCheck(Probe, &'a Check),
    Nothing,
}

fn target<'a>(path: &str, checks: &'a [Check], config: &DeployConfig) -> Target<'a> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if let Some(probe) = Probe::ALL.into_iter().find(|p| config.path(*p) == path) {
        return Target::Probe(probe);
    }
    for probe in [Probe::Readiness, Probe::Startup] {
        let prefix = format!("{}/", config.path(probe).trim_end_matches('/'));
        if let Some(name) = path.strip_prefix(&prefix)
            && let Some(check) = checks
                .iter()
                .find(|c| c.name() == name && c.probe_set().contains(probe))
        {
            return Target::OneCheck(probe, check);
        }
    }
    Target::Nothing
}

fn lint_probe(
    declared: &DeclaredProbe,
    platform: Platform,
    checks: &[Check],
    config: &DeployConfig,
) -> Vec<FindingKind> {
    let mut findings = Vec::new();
    if platform == Platform::ContainerApps {
        findings.extend(out_of_range(declared));
    }
    if matches!(declared.probe, Probe::Liveness | Probe::Startup) && declared.success_threshold != 1
    {
        findings.push(FindingKind::SuccessThresholdNotOne {
            value: declared.success_threshold,
        });
    }
    let Some(path) = &declared.path else {
        return findings; // exec, TCP and gRPC probes do not reach the health handlers
    };
    if let Some(port) = &declared.port
        && port.parse::<u16>().is_ok_and(|p| p != config.port)
    {
        findings.push(FindingKind::WrongPort {
            port: port.clone(),
            expected: config.port,
        });
    }
    let slowest = match target(path, checks, config) {
        Target::Nothing => {
            findings.push(FindingKind::NoHandler { path: path.clone() });
            return findings;
        }
        Target::Probe(served) => {
            match (declared.probe, served) {
                (Probe::Liveness, Probe::Readiness) => {
                    findings.push(FindingKind::LivenessOnReadinessPath { path: path.clone() });
                }
                (Probe::Readiness, Probe::Liveness) => {
                    findings.push(FindingKind::ReadinessOnLivenessPath { path: path.clone() });
                }
                _ => {}
            }
            slowest_check(checks, served)
        }
        Target::OneCheck(served, check) => {
            if declared.probe == Probe::Liveness && served == Probe::Readiness {
                findings.push(FindingKind::LivenessOnReadinessPath { path: path.clone() });
            }
            slowest_check(std::slice::from_ref(check), served)
        }
    };
    let needed = required_timeout_seconds(slowest.as_ref(), config.timeout_margin);
    if let Some(slowest) = slowest
        && declared.timeout_seconds < needed
    {
        findings.push(FindingKind::TimeoutTooShort {
            timeout_seconds: declared.timeout_seconds,
            explicit: declared.timeout_explicit,
            check: slowest.name,
            check_timeout: slowest.timeout,
            needed_seconds: needed,
        });
    }
    findings
}

fn out_of_range(declared: &DeclaredProbe) -> Vec<FindingKind> {
    let platform = Platform::ContainerApps;
    let mut fields = vec![
        (
            "timeoutSeconds",
            declared.timeout_seconds,
            platform.timeout_range(),
        ),
        (
            "periodSeconds",
            declared.period_seconds,
            platform.period_range(),
        ),
        (
            "failureThreshold",
            declared.failure_threshold,
            platform.failure_threshold_range(),
        ),
        (
            "successThreshold",
            declared.success_threshold,
            platform.success_threshold_range(),
        ),
    ];
    if declared.initial_delay_seconds != 0 {
        fields.push((
            "initialDelaySeconds",
            declared.initial_delay_seconds,
            platform.initial_delay_range(),
        ));
    }
    fields
        .into_iter()
        .filter(|(_, value, range)| !range.contains(*value))
        .map(|(field, value, range)| FindingKind::OutOfRange {
            field,
            value,
            min: range.min,
            max: range.max,
        })
        .collect()
}
