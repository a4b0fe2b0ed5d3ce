//! The probes of an Azure Container Apps container and the Container App around them, in
//! the shape `az containerapp create --yaml` takes.

use serde::{Deserialize, Serialize};

use crate::check::Check;
use health_rules::Probe;

use super::config::DeployConfig;
use super::error::DeployError;
use super::kubernetes::HttpGet;
use super::plan::{Plan, PlannedAction, ProbePlan, plan};
use super::platform::Platform;
use super::yaml::with_header;

/// The `probes:` of one Container Apps container (under
/// `properties.template.containers[]`) and the template's grace period, within Container
/// Apps' ranges: `timeoutSeconds` and `periodSeconds` 1–240, `failureThreshold` 1–10,
/// `initialDelaySeconds` 1–60.
///
/// A long expected startup does not fit ten failures of a short period, so the startup
/// probe's period grows instead:
///
/// ```
/// use std::time::Duration;
/// use health_runtime::{Check, Probe};
/// use health_runtime::deploy::{DeployConfig, container_apps_probes};
///
/// let checks = [Check::new("model", || async {}).probes([Probe::Startup])];
/// let config = DeployConfig::new().expected_startup(Duration::from_secs(600));
/// let probes = container_apps_probes(&checks, &config).unwrap();
/// let startup = &probes.probes[0];
/// assert!(startup.failure_threshold <= 10);
/// assert!((startup.failure_threshold - 1) * startup.period_seconds >= 600);
/// assert!(probes.container_app_yaml().contains("type: Microsoft.App/containerApps"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerAppsProbes {
    /// Startup, liveness and readiness, in that order.
    pub probes: Vec<ContainerAppProbe>,
    /// `properties.template.terminationGracePeriodSeconds`: drain delay plus shutdown
    /// timeout.
    #[serde(skip)]
    pub termination_grace_period_seconds: u64,
    #[serde(skip)]
    plan: Option<Box<Plan>>,
    #[serde(skip)]
    config: Option<Box<DeployConfig>>,
}

/// One probe of a Container Apps container.
///
/// ```
/// use health_runtime::deploy::{DeployConfig, container_apps_probes};
///
/// let probes = container_apps_probes(&[], &DeployConfig::new()).unwrap();
/// assert_eq!(probes.probes[2].kind, "Readiness");
/// assert_eq!(probes.probes[2].http_get.path, "/health/ready");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerAppProbe {
    /// `Startup`, `Liveness` or `Readiness`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request the platform sends.
    pub http_get: HttpGet,
    /// Seconds after the container starts before the first probe (1–60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<u64>,
    /// Seconds between probes (1–240).
    pub period_seconds: u64,
    /// Seconds one probe may take (1–240).
    pub timeout_seconds: u64,
    /// Consecutive successes that make the probe pass again (1–10).
    pub success_threshold: u64,
    /// Consecutive failures that make the probe fail (1–10).
    pub failure_threshold: u64,
}

/// The Container Apps name of a probe type.
pub(crate) fn type_name(probe: Probe) -> &'static str {
    match probe {
        Probe::Liveness => "Liveness",
        Probe::Readiness => "Readiness",
        Probe::Startup => "Startup",
    }
}

impl From<&ProbePlan> for ContainerAppProbe {
    fn from(plan: &ProbePlan) -> Self {
        ContainerAppProbe {
            kind: type_name(plan.probe).to_owned(),
            http_get: match &plan.action {
                PlannedAction::Http { path, port } => HttpGet {
                    path: path.clone(),
                    port: *port,
                },
                // `plan` never gives Container Apps a gRPC probe: it has none.
                PlannedAction::Grpc { .. } => unreachable!("no gRPC probe on Container Apps"),
            },
            initial_delay_seconds: plan.initial_delay_seconds,
            period_seconds: plan.period_seconds,
            timeout_seconds: plan.timeout_seconds,
            success_threshold: plan.success_threshold,
            failure_threshold: plan.failure_threshold,
        }
    }
}

/// Generates the Container Apps probes of `checks`, or says which check or setting does
/// not fit Container Apps' ranges.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, DeployError, container_apps_probes};
///
/// // 240 s is the largest check timeout; with the 1 s margin it cannot fit 240 s.
/// let slow = [Check::new("batch", || async {}).timeout(Duration::from_secs(240))];
/// let error = container_apps_probes(&slow, &DeployConfig::new()).unwrap_err();
/// assert!(matches!(error, DeployError::CheckTooSlow { needed_seconds: 241, .. }));
/// ```
pub fn container_apps_probes(
    checks: &[Check],
    config: &DeployConfig,
) -> Result<ContainerAppsProbes, DeployError> {
    let plan = plan(checks, config, Platform::ContainerApps)?;
    Ok(ContainerAppsProbes {
        probes: plan.probes.iter().map(ContainerAppProbe::from).collect(),
        termination_grace_period_seconds: plan.termination_grace_seconds,
        plan: Some(Box::new(plan)),
        config: Some(Box::new(config.clone())),
    })
}

impl ContainerAppsProbes {
    /// The YAML `probes:` list, under a comment saying how each probe was derived and
    /// which grace period the template needs.
    pub fn to_yaml(&self) -> String {
        with_header(self.comment(), self)
    }

    /// A complete Container App (`name`, `type`, `properties.configuration.ingress` — on
    /// the gRPC port over `http2` when the service serves gRPC —
    /// `properties.template` with its grace period and one container carrying these
    /// probes), in the shape `az containerapp create --yaml` takes.
    pub fn container_app_yaml(&self) -> String {
        let config = self.config.as_deref().cloned().unwrap_or_default();
        with_header(self.comment(), &container_app(self, &config))
    }

    fn comment(&self) -> &str {
        self.plan
            .as_deref()
            .map_or("", |plan| plan.comment.as_str())
    }
}

fn container_app<'a>(
    probes: &'a ContainerAppsProbes,
    config: &'a DeployConfig,
) -> ContainerApp<'a> {
    ContainerApp {
        name: &config.name,
        kind: "Microsoft.App/containerApps",
        location: config.location.as_deref(),
        properties: Properties {
            managed_environment_id: config.environment_id.as_deref(),
            configuration: Configuration {
                // A gRPC service takes its traffic on the gRPC port, over HTTP/2; the
                // probes still call the HTTP routes, on their own port.
                ingress: match config.grpc_port {
                    Some(port) => Ingress {
                        external: true,
                        target_port: port,
                        transport: Some("http2"),
                    },
                    None => Ingress {
                        external: true,
                        target_port: config.port,
                        transport: None,
                    },
                },
            },
            template: Template {
                termination_grace_period_seconds: probes.termination_grace_period_seconds,
                containers: [Container {
                    name: &config.name,
                    image: config.image_or_default(),
                    probes: &probes.probes,
                }],
            },
        },
    }
}

#[derive(Serialize)]
struct ContainerApp<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    properties: Properties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_environment_id: Option<&'a str>,
    configuration: Configuration,
    template: Template<'a>,
}

#[derive(Serialize)]
struct Configuration {
    ingress: Ingress,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ingress {
    external: bool,
    target_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    transport: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Template<'a> {
    termination_grace_period_seconds: u64,
    containers: [Container<'a>; 1],
}

#[derive(Serialize)]
struct Container<'a> {
    name: &'a str,
    image: String,
    probes: &'a [ContainerAppProbe],
}
