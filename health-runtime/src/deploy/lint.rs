//! The lint rules: what a manifest's probes and shutdown settings must be for the checks
//! the service really runs.

use crate::check::Check;
use health_rules::Probe;

use super::config::DeployConfig;
use super::findings::{Finding, FindingKind};
use super::manifest::{DeclaredContainer, DeclaredGrpc, DeclaredProbe, LintError, declared_probes};
use super::plan::{
    SlowestCheck, ceil_seconds_or_zero, readiness_notice, required_timeout_seconds, slowest_check,
    startup_budget,
};
use super::platform::Platform;

/// Lints the probes and shutdown settings of the manifest `yaml` against `checks`
/// (usually [`Health::checks`](crate::Health::checks)) and `config`: every contradiction
/// found, empty when there is none. Containers whose probes call neither the service's
/// port nor its health paths (sidecars) are left alone, unless no container calls them.
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

/// Whether an HTTP probe of `container` calls the service's port or one of its paths, or
/// a gRPC probe its gRPC port or one of its service names.
fn probes_this_service(
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> bool {
    container.probes.iter().any(|probe| {
        if let Some(grpc) = &probe.grpc {
            let port = grpc.port.as_deref().and_then(|p| container.port_number(p));
            let service = grpc.service.as_deref().unwrap_or_default();
            return (config.grpc_port.is_some() && port == config.grpc_port)
                || !matches!(grpc_target(service, checks), Target::Nothing);
        }
        let Some(path) = &probe.path else {
            return false;
        };
        let port = probe.port.as_deref().and_then(|p| container.port_number(p));
        port == Some(config.port) || !matches!(target(path, checks, config), Target::Nothing)
    })
}

fn lint_container(
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> Vec<Finding> {
    let mut findings: Vec<(Option<Probe>, FindingKind)> = Vec::new();
    for declared in &container.probes {
        for kind in lint_probe(declared, container, checks, config) {
            findings.push((Some(declared.probe), kind));
        }
    }
    if container.probe(Probe::Readiness).is_none() {
        let checks: Vec<_> = checks
            .iter()
            .filter(|c| c.probes.contains(Probe::Readiness))
            .map(|c| c.name().to_owned())
            .collect();
        if !checks.is_empty() {
            findings.push((None, FindingKind::MissingReadinessProbe { checks }));
        }
    }
    findings.extend(lint_startup(container, checks, config));
    findings.extend(lint_shutdown(container, config));
    findings
        .into_iter()
        .map(|(probe, kind)| Finding {
            container: container.name.clone(),
            probe,
            kind,
        })
        .collect()
}

fn lint_startup(
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> Option<(Option<Probe>, FindingKind)> {
    let expected_startup = config.expected_startup;
    if let Some(startup) = container.probe(Probe::Startup) {
        let budget = startup_budget(
            startup.initial_delay_seconds,
            startup.period_seconds,
            startup.failure_threshold,
        );
        return (budget < expected_startup).then_some((
            Some(Probe::Startup),
            FindingKind::StartupBudgetTooShort {
                budget,
                expected_startup,
            },
        ));
    }
    let liveness = container.probe(Probe::Liveness)?;
    let liveness_budget = startup_budget(
        liveness.initial_delay_seconds,
        liveness.period_seconds,
        liveness.failure_threshold,
    );
    let has_startup_checks = slowest_check(checks, Probe::Startup).is_some();
    (has_startup_checks || liveness_budget < expected_startup).then_some((
        None,
        FindingKind::MissingStartupProbe {
            expected_startup,
            liveness_budget,
        },
    ))
}

/// The grace period, the preStop hook and readiness against the drain delay and the
/// shutdown timeout. A bare probe section declares no grace period and is not judged.
fn lint_shutdown(
    container: &DeclaredContainer,
    config: &DeployConfig,
) -> Vec<(Option<Probe>, FindingKind)> {
    let mut findings = Vec::new();
    let needed_seconds = ceil_seconds_or_zero(config.drain_delay + config.shutdown_timeout);
    if let Some(grace_seconds) = container.termination_grace_period_seconds {
        match container.pre_stop_sleep_seconds.filter(|s| *s > 0) {
            Some(pre_stop_seconds) if grace_seconds < pre_stop_seconds + needed_seconds => {
                findings.push((
                    None,
                    FindingKind::PreStopEatsGracePeriod {
                        pre_stop_seconds,
                        grace_seconds,
                        needed_seconds,
                    },
                ));
            }
            None if grace_seconds < needed_seconds => findings.push((
                None,
                FindingKind::GracePeriodTooShort {
                    grace_seconds,
                    needed_seconds,
                },
            )),
            _ => {}
        }
    }
    if let Some(readiness) = container.probe(Probe::Readiness) {
        let notice = readiness_notice(readiness.period_seconds, readiness.failure_threshold);
        if notice > config.drain_delay {
            findings.push((
                Some(Probe::Readiness),
                FindingKind::ReadinessSlowerThanDrain {
                    notice,
                    drain_delay: config.drain_delay,
                },
            ));
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
                .find(|c| c.name() == name && c.probes.contains(probe))
        {
            return Target::OneCheck(probe, check);
        }
    }
    Target::Nothing
}

fn lint_probe(
    declared: &DeclaredProbe,
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> Vec<FindingKind> {
    let mut findings = Vec::new();
    if container.platform == Platform::ContainerApps {
        findings.extend(out_of_range(declared));
    }
    if matches!(declared.probe, Probe::Liveness | Probe::Startup) && declared.success_threshold != 1
    {
        findings.push(FindingKind::SuccessThresholdNotOne {
            value: declared.success_threshold,
        });
    }
    if let Some(grpc) = &declared.grpc {
        findings.extend(lint_grpc(declared, grpc, container, checks, config));
        return findings;
    }
    let Some(path) = &declared.path else {
        return findings; // exec and TCP probes do not reach the health handlers
    };
    if let Some(port) = &declared.port
        && container
            .port_number(port)
            .is_some_and(|p| p != config.port)
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
            findings.extend(crossed_paths(declared.probe, served, path));
            slowest_check(checks, served)
        }
        Target::OneCheck(served, check) => {
            if declared.probe == Probe::Liveness && served == Probe::Readiness {
                findings.push(FindingKind::LivenessOnReadinessPath { path: path.clone() });
            }
            slowest_check(std::slice::from_ref(check), served)
        }
    };
    findings.extend(timeout_too_short(declared, slowest, config));
    findings
}

fn timeout_too_short(
    declared: &DeclaredProbe,
    slowest: Option<SlowestCheck>,
    config: &DeployConfig,
) -> Option<FindingKind> {
    let needed = required_timeout_seconds(slowest.as_ref(), config.timeout_margin);
    let slowest = slowest?;
    (declared.timeout_seconds < needed).then_some(FindingKind::TimeoutTooShort {
        timeout_seconds: declared.timeout_seconds,
        explicit: declared.timeout_explicit,
        check: slowest.name,
        check_timeout: slowest.timeout,
        needed_seconds: needed,
    })
}

/// Which probe a gRPC service name answers as (DESIGN §4b: `""` is readiness, the probe
/// names are the probes, a check's name is that check, gated like its first probe of
/// readiness, startup, liveness).
fn grpc_target<'a>(service: &str, checks: &'a [Check]) -> Target<'a> {
    if service.is_empty() {
        return Target::Probe(Probe::Readiness);
    }
    if let Some(probe) = Probe::ALL.into_iter().find(|p| p.as_str() == service) {
        return Target::Probe(probe);
    }
    let Some(check) = checks.iter().find(|c| c.name() == service) else {
        return Target::Nothing;
    };
    [Probe::Readiness, Probe::Startup, Probe::Liveness]
        .into_iter()
        .find(|probe| check.probes.contains(*probe))
        .map_or(Target::Nothing, |probe| Target::OneCheck(probe, check))
}

/// A `grpc:` probe: Container Apps has none; liveness must name its service, since `""`
/// is readiness; the service must exist and the timeout cover its slowest check.
fn lint_grpc(
    declared: &DeclaredProbe,
    grpc: &DeclaredGrpc,
    container: &DeclaredContainer,
    checks: &[Check],
    config: &DeployConfig,
) -> Vec<FindingKind> {
    if container.platform == Platform::ContainerApps {
        return vec![FindingKind::GrpcOnContainerApps];
    }
    let mut findings = Vec::new();
    if let (Some(port), Some(expected)) = (&grpc.port, config.grpc_port)
        && container.port_number(port).is_some_and(|p| p != expected)
    {
        findings.push(FindingKind::WrongPort {
            port: port.clone(),
            expected,
        });
    }
    let service = match &grpc.service {
        Some(service) => service.as_str(),
        None if declared.probe == Probe::Liveness => {
            findings.push(FindingKind::GrpcLivenessWithoutService);
            ""
        }
        None => "",
    };
    let slowest = match grpc_target(service, checks) {
        Target::Nothing => {
            findings.push(FindingKind::NoGrpcService {
                service: service.to_owned(),
            });
            return findings;
        }
        Target::Probe(served) => {
            // The missing service was reported above; an explicit one that crosses is not.
            if grpc.service.is_some() {
                findings.extend(crossed_services(declared.probe, served, service));
            }
            slowest_check(checks, served)
        }
        Target::OneCheck(served, check) => {
            if declared.probe == Probe::Liveness && served == Probe::Readiness {
                findings.push(FindingKind::LivenessOnReadinessService {
                    service: service.to_owned(),
                });
            }
            slowest_check(std::slice::from_ref(check), served)
        }
    };
    findings.extend(timeout_too_short(declared, slowest, config));
    findings
}

fn crossed_services(declared: Probe, served: Probe, service: &str) -> Option<FindingKind> {
    match (declared, served) {
        (Probe::Liveness, Probe::Readiness) => Some(FindingKind::LivenessOnReadinessService {
            service: service.to_owned(),
        }),
        (Probe::Readiness, Probe::Liveness) => Some(FindingKind::ReadinessOnLivenessService {
            service: service.to_owned(),
        }),
        _ => None,
    }
}

fn crossed_paths(declared: Probe, served: Probe, path: &str) -> Option<FindingKind> {
    match (declared, served) {
        (Probe::Liveness, Probe::Readiness) => Some(FindingKind::LivenessOnReadinessPath {
            path: path.to_owned(),
        }),
        (Probe::Readiness, Probe::Liveness) => Some(FindingKind::ReadinessOnLivenessPath {
            path: path.to_owned(),
        }),
        _ => None,
    }
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
