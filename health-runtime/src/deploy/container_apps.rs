//! The `probes` list of an Azure Container Apps container, generated from the checks.

use serde::{Deserialize, Serialize};

use crate::{Check, Probe};

use super::kubernetes::HttpGet;
use super::rules::{Platform, ProbePlan, plan};
use super::{DeployConfig, DeployError, yaml_with_header};

/// The `probes:` of one Container Apps container (under
/// `properties.template.containers[]`), within Container Apps' ranges: `timeoutSeconds`
/// and `periodSeconds` 1–240, `failureThreshold` 1–10, `initialDelaySeconds` 1–60.
///
/// A long expected startup does not fit ten failures of a short period, so the startup
/// probe's period grows instead:
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, container_apps_probes};
///
/// let checks = [Check::new("model", || async {}).probes([health_runtime::Probe::Startup])];
/// let config = DeployConfig::new().expected_startup(Duration::from_secs(600));
/// let probes = container_apps_probes(&checks, &config).unwrap();
/// let startup = &probes.probes[0];
/// assert!(startup.failure_threshold <= 10);
/// assert!((startup.failure_threshold - 1) * startup.period_seconds >= 600);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerAppsProbes {
    /// Startup, liveness and readiness, in that order.
    pub probes: Vec<ContainerAppProbe>,
    #[serde(skip)]
    comment: String,
}

/// One probe of a Container Apps container.
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
            http_get: HttpGet {
                path: plan.path.clone(),
                port: plan.port,
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
    let plans = plan(checks, config, Platform::ContainerApps)?;
    let comment = plans
        .iter()
        .map(|plan| plan.rationale(config))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ContainerAppsProbes {
        probes: plans.iter().map(ContainerAppProbe::from).collect(),
        comment,
    })
}

impl ContainerAppsProbes {
    /// The YAML `probes:` list, under a comment saying how each probe was derived.
    pub fn to_yaml(&self) -> String {
        yaml_with_header(&self.comment, self)
    }
}
