//! The probe section of a Kubernetes container, generated from the checks.

use serde::{Deserialize, Serialize};

use crate::{Check, Probe};

use super::rules::{Platform, ProbePlan, plan};
use super::{DeployConfig, DeployError, yaml_with_header};

/// `startupProbe`, `livenessProbe` and `readinessProbe` of one container, ready to be
/// pasted under `spec.template.spec.containers[]` of a Deployment.
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
    pub startup_probe: HttpProbe,
    /// Restarts the container when it fails `failureThreshold` times in a row.
    pub liveness_probe: HttpProbe,
    /// Takes the pod out of its Services while it fails.
    pub readiness_probe: HttpProbe,
    #[serde(skip)]
    comment: String,
}

/// One Kubernetes HTTP probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpProbe {
    /// The request the kubelet sends.
    pub http_get: HttpGet,
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

/// The `httpGet` of a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpGet {
    /// The request path.
    pub path: String,
    /// The container port.
    pub port: u16,
}

impl From<&ProbePlan> for HttpProbe {
    fn from(plan: &ProbePlan) -> Self {
        HttpProbe {
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

/// Generates the Kubernetes probes of `checks` (usually [`Health::checks`]).
///
/// [`Health::checks`]: crate::Health::checks
pub fn kubernetes_probes(
    checks: &[Check],
    config: &DeployConfig,
) -> Result<KubernetesProbes, DeployError> {
    let plans = plan(checks, config, Platform::Kubernetes)?;
    let of = |probe: Probe| {
        let plan = plans
            .iter()
            .find(|plan| plan.probe == probe)
            .expect("a plan for every probe");
        HttpProbe::from(plan)
    };
    let comment = plans
        .iter()
        .map(|plan| plan.rationale(config))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(KubernetesProbes {
        startup_probe: of(Probe::Startup),
        liveness_probe: of(Probe::Liveness),
        readiness_probe: of(Probe::Readiness),
        comment,
    })
}

impl KubernetesProbes {
    /// The probe of the given kind.
    pub fn probe(&self, probe: Probe) -> &HttpProbe {
        match probe {
            Probe::Startup => &self.startup_probe,
            Probe::Liveness => &self.liveness_probe,
            Probe::Readiness => &self.readiness_probe,
        }
    }

    /// The YAML of the three probes, under a comment saying how each was derived.
    pub fn to_yaml(&self) -> String {
        yaml_with_header(&self.comment, self)
    }
}
