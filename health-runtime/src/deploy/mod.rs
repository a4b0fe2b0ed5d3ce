//! Probe manifests generated from the checks, and a lint for hand-written ones.
//!
//! The checks know how long they may take and which probes run them; the manifests
//! should follow. From [`Health::checks`](crate::Health::checks) and a small
//! [`DeployConfig`] this module generates the probes of a Kubernetes container
//! ([`kubernetes_probes`]: the probe section or a complete Deployment) and of an Azure
//! Container Apps container ([`container_apps_probes`]: the `probes:` list or a complete
//! Container App), following these rules:
//!
//! - `timeoutSeconds` covers the slowest check of the probe plus a margin (1 s by
//!   default). The checks of a probe run concurrently, so the slowest counts, not the sum.
//!   The kubelet's default of 1 s is what breaks hand-written manifests whose checks take
//!   2–4 s: the pod is marked failed while it is healthy.
//! - The startup budget, `initialDelaySeconds + (failureThreshold - 1) × periodSeconds`
//!   (the moment of the last allowed failure), covers the declared expected startup.
//! - Readiness sees a shutdown's 503 within the drain delay (`periodSeconds ×
//!   failureThreshold`), and `terminationGracePeriodSeconds` covers the preStop hook, the
//!   drain delay and the shutdown timeout.
//! - A service that serves `grpc.health.v1` ([`DeployConfig::grpc_port`]) gets Kubernetes
//!   `grpc:` probes, each naming its `service` (`startup`, `liveness`, `readiness`), with
//!   the same timeouts and budgets. Azure Container Apps has no gRPC probe: its probes stay
//!   on the HTTP routes, and a gRPC-only service ([`DeployConfig::grpc_only`]) is refused
//!   for it with a [`DeployError::GrpcProbeUnsupported`].
//! - What the platforms reject is refused with a [`DeployError`] naming the check or the
//!   setting: a port outside 1–65535, thresholds of 0, `successThreshold` other than 1 on
//!   liveness and startup, Container Apps' ranges (`timeoutSeconds` and `periodSeconds`
//!   1–240, `failureThreshold` 1–10, `initialDelaySeconds` 1–60), names that are not DNS
//!   labels.
//!
//! [`lint`] reads an existing Deployment, Pod, Container App or bare probe section
//! ([`declared_probes`]) and reports every contradiction with the checks and the shutdown
//! budget as a [`Finding`]. A service binary offers both on its command line with
//! [`run_command_from_env`]:
//!
//! ```text
//! my-service probes kubernetes               # the probe section, to paste under the container
//! my-service probes kubernetes --deployment  # a complete apps/v1 Deployment
//! my-service probes container-apps --app     # a Container App for `az containerapp create --yaml`
//! my-service lint deployment.yaml            # exit 1 and one line per finding
//! ```

mod command;
mod config;
mod container_apps;
mod error;
mod findings;
mod kubernetes;
mod lint;
mod manifest;
mod plan;
mod platform;
mod yaml;

pub use command::{run_command, run_command_from_env};
pub use config::DeployConfig;
pub use container_apps::{ContainerAppProbe, ContainerAppsProbes, container_apps_probes};
pub use error::DeployError;
pub use findings::{Finding, FindingKind};
pub use kubernetes::{
    GrpcAction, HttpGet, KubernetesProbe, KubernetesProbes, ProbeAction, kubernetes_probes,
};
pub use lint::lint;
pub use manifest::{DeclaredContainer, DeclaredGrpc, DeclaredProbe, LintError, declared_probes};
pub use platform::Platform;
