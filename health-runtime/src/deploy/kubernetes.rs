//! The probes of a Kubernetes container and the `apps/v1` Deployment around them.

use serde::{Deserialize, Serialize};

use crate::check::Check;
use health_rules::Probe;

use super::config::DeployConfig;
use super::error::DeployError;
use super::plan::{Plan, PlannedAction, ProbePlan, plan};
use super::platform::Platform;
use super::yaml::with_header;

/// `startupProbe`, `livenessProbe` and `readinessProbe` of one container and the pod's
/// grace period, generated from the checks: [`KubernetesProbes::to_yaml`] is the probe
/// section to paste under `spec.template.spec.containers[]`,
/// [`KubernetesProbes::deployment_yaml`] a complete Deployment.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::{Check, Probe};
/// use health_runtime::deploy::{DeployConfig, kubernetes_probes};
///
/// let checks = [
///     Check::new("postgres", || async {}).timeout(Duration::from_secs(2)),
///     Check::new("openai", || async {}).timeout(Duration::from_secs(4)),
/// ];
/// let probes = kubernetes_probes(&checks, &DeployConfig::new()).unwrap();
/// // The checks run concurrently: the slowest (4 s) plus the 1 s margin.
/// assert_eq!(probes.probe(Probe::Readiness).timeout_seconds, 5);
/// assert!(probes.to_yaml().contains("readinessProbe:"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesProbes {
    /// Gates the other two until the startup checks pass; restarts the container when
    /// its budget runs out.
    pub startup_probe: KubernetesProbe,
    /// Restarts the container when it fails `failureThreshold` times in a row.
    pub liveness_probe: KubernetesProbe,
    /// Takes the pod out of its Services while it fails.
    pub readiness_probe: KubernetesProbe,
    /// The pod's `terminationGracePeriodSeconds`: preStop, drain delay and shutdown
    /// timeout, which the probe section can only name in its comment.
    #[serde(skip)]
    pub termination_grace_period_seconds: u64,
    #[serde(skip)]
    plan: Option<Box<Plan>>,
    #[serde(skip)]
    config: Option<Box<DeployConfig>>,
}

/// One Kubernetes probe: what it calls and how often.
///
/// ```
/// use health_runtime::deploy::{DeployConfig, ProbeAction, kubernetes_probes};
///
/// let probes = kubernetes_probes(&[], &DeployConfig::new()).unwrap();
/// let ProbeAction::HttpGet(get) = &probes.liveness_probe.action else { unreachable!() };
/// assert_eq!((get.path.as_str(), get.port), ("/health", 8000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesProbe {
    /// The request the kubelet sends (`httpGet:` or `grpc:`).
    #[serde(flatten)]
    pub action: ProbeAction,
    /// Seconds after the container starts before the first probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<u64>,
    /// Seconds between probes.
    pub period_seconds: u64,
    /// Seconds the whole exchange (connect, request, response) may take.
    pub timeout_seconds: u64,
    /// Consecutive successes that make the probe pass again.
    pub success_threshold: u64,
    /// Consecutive failures that make the probe fail.
    pub failure_threshold: u64,
}

/// What a probe calls, written as the manifest's key (`httpGet:` or `grpc:`).
///
/// ```
/// use health_runtime::deploy::{GrpcAction, HttpGet, ProbeAction};
///
/// let action = ProbeAction::HttpGet(HttpGet { path: "/health".into(), port: 8000 });
/// assert_eq!(action.port(), 8000);
/// let action = ProbeAction::Grpc(GrpcAction { port: 50051, service: "liveness".into() });
/// assert_eq!(action.port(), 50051);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ProbeAction {
    /// An HTTP `GET`: 200–399 is a success.
    HttpGet(HttpGet),
    /// A `grpc.health.v1.Health/Check` (Kubernetes 1.27 and later): `SERVING` is a
    /// success, any other status or error a failure.
    Grpc(GrpcAction),
}

impl ProbeAction {
    /// The container port the probe calls.
    pub fn port(&self) -> u16 {
        match self {
            ProbeAction::HttpGet(get) => get.port,
            ProbeAction::Grpc(grpc) => grpc.port,
        }
    }
}

/// The `grpc` of a probe: the port and the `service` of the `HealthCheckRequest`. The
/// generator always names the service (`startup`, `liveness`, `readiness`): an absent one
/// is `""`, which this library answers as readiness.
///
/// ```
/// let grpc = health_runtime::deploy::GrpcAction { port: 50051, service: "readiness".into() };
/// assert_eq!(grpc.service, "readiness");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrpcAction {
    /// The container port serving `grpc.health.v1`.
    pub port: u16,
    /// The service name asked about.
    pub service: String,
}

/// The `httpGet` of a probe.
///
/// ```
/// let get = health_runtime::deploy::HttpGet { path: "/health/ready".into(), port: 8080 };
/// assert_eq!(get.port, 8080);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpGet {
    /// The request path.
    pub path: String,
    /// The container port.
    pub port: u16,
}

impl From<&ProbePlan> for KubernetesProbe {
    fn from(plan: &ProbePlan) -> Self {
        KubernetesProbe {
            action: match &plan.action {
                PlannedAction::Http { path, port } => ProbeAction::HttpGet(HttpGet {
                    path: path.clone(),
                    port: *port,
                }),
                PlannedAction::Grpc { port, service } => ProbeAction::Grpc(GrpcAction {
                    port: *port,
                    service: service.clone(),
                }),
            },
            initial_delay_seconds: plan.initial_delay_seconds,
            period_seconds: plan.period_seconds,
            timeout_seconds: plan.timeout_seconds,
            success_threshold: plan.success_threshold,
            failure_threshold: plan.failure_threshold,
        }
    }
}

/// Generates the Kubernetes probes of `checks` (usually [`Health::checks`]), or says
/// which check or setting the apiserver would reject.
///
/// [`Health::checks`]: crate::Health::checks
///
/// ```
/// use health_runtime::deploy::{DeployConfig, kubernetes_probes};
///
/// let yaml = kubernetes_probes(&[], &DeployConfig::new().name("api")).unwrap().deployment_yaml();
/// assert!(yaml.starts_with("# Generated by health-runtime"));
/// assert!(yaml.contains("kind: Deployment"));
/// assert!(yaml.contains("terminationGracePeriodSeconds: 30"));
/// ```
pub fn kubernetes_probes(
    checks: &[Check],
    config: &DeployConfig,
) -> Result<KubernetesProbes, DeployError> {
    let plan = plan(checks, config, Platform::Kubernetes)?;
    let of = |probe: Probe| KubernetesProbe::from(plan.probe(probe));
    Ok(KubernetesProbes {
        startup_probe: of(Probe::Startup),
        liveness_probe: of(Probe::Liveness),
        readiness_probe: of(Probe::Readiness),
        termination_grace_period_seconds: plan.termination_grace_seconds,
        plan: Some(Box::new(plan)),
        config: Some(Box::new(config.clone())),
    })
}

impl KubernetesProbes {
    /// The probe of the given kind.
    pub fn probe(&self, probe: Probe) -> &KubernetesProbe {
        match probe {
            Probe::Startup => &self.startup_probe,
            Probe::Liveness => &self.liveness_probe,
            Probe::Readiness => &self.readiness_probe,
        }
    }

    /// The YAML of the three probes, under a comment saying how each was derived and
    /// which grace period the pod needs.
    pub fn to_yaml(&self) -> String {
        with_header(self.comment(), self)
    }

    /// A complete `apps/v1` Deployment of one container carrying these probes, with the
    /// name, image and port of the configuration and the grace period the shutdown needs.
    pub fn deployment_yaml(&self) -> String {
        let config = self.config.as_deref().cloned().unwrap_or_default();
        with_header(self.comment(), &deployment(self, &config))
    }

    fn comment(&self) -> &str {
        self.plan
            .as_deref()
            .map_or("", |plan| plan.comment.as_str())
    }
}

fn deployment<'a>(probes: &'a KubernetesProbes, config: &'a DeployConfig) -> Deployment<'a> {
    let labels = Labels { name: &config.name };
    let pre_stop = probes
        .plan
        .as_deref()
        .and_then(|plan| plan.pre_stop_seconds)
        .map(|seconds| Lifecycle {
            pre_stop: PreStop {
                sleep: Sleep { seconds },
            },
        });
    Deployment {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: Metadata {
            name: &config.name,
            labels,
        },
        spec: DeploymentSpec {
            selector: Selector {
                match_labels: labels,
            },
            template: PodTemplate {
                metadata: TemplateMetadata { labels },
                spec: PodSpec {
                    termination_grace_period_seconds: probes.termination_grace_period_seconds,
                    containers: [Container {
                        name: &config.name,
                        image: config.image_or_default(),
                        ports: container_ports(config),
                        probes,
                        lifecycle: pre_stop,
                    }],
                },
            },
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Deployment<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    spec: DeploymentSpec<'a>,
}

#[derive(Serialize, Clone, Copy)]
struct Labels<'a> {
    #[serde(rename = "app.kubernetes.io/name")]
    name: &'a str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
    labels: Labels<'a>,
}

#[derive(Serialize)]
struct TemplateMetadata<'a> {
    labels: Labels<'a>,
}

#[derive(Serialize)]
struct DeploymentSpec<'a> {
    selector: Selector<'a>,
    template: PodTemplate<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Selector<'a> {
    match_labels: Labels<'a>,
}

#[derive(Serialize)]
struct PodTemplate<'a> {
    metadata: TemplateMetadata<'a>,
    spec: PodSpec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PodSpec<'a> {
    termination_grace_period_seconds: u64,
    containers: [Container<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Container<'a> {
    name: &'a str,
    image: String,
    ports: Vec<ContainerPort>,
    #[serde(flatten)]
    probes: &'a KubernetesProbes,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle: Option<Lifecycle>,
}

/// `http` when the service serves its HTTP routes, `grpc` when it serves gRPC on another
/// port (one port serving both is named `http`).
fn container_ports(config: &DeployConfig) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    if config.http {
        ports.push(ContainerPort {
            name: "http",
            container_port: config.port,
        });
    }
    if let Some(port) = config.grpc_port
        && !(config.http && port == config.port)
    {
        ports.push(ContainerPort {
            name: "grpc",
            container_port: port,
        });
    }
    ports
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContainerPort {
    name: &'static str,
    container_port: u16,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Lifecycle {
    pre_stop: PreStop,
}

#[derive(Serialize)]
struct PreStop {
    sleep: Sleep,
}

#[derive(Serialize)]
struct Sleep {
    seconds: u64,
}
