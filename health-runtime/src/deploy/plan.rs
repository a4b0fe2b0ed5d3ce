//! The rules that turn checks and a [`DeployConfig`] into probe timings and a shutdown
//! budget, shared by both generators and the lint.

use std::time::Duration;

use crate::check::Check;
use health_rules::Probe;

use super::config::DeployConfig;
use super::error::DeployError;
use super::platform::{Platform, Range};

/// The slowest check a probe runs: the probe's response takes as long as this one, since
/// the checks of a probe run concurrently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlowestCheck {
    pub(crate) name: String,
    pub(crate) timeout: Duration,
}

pub(crate) fn slowest_check(checks: &[Check], probe: Probe) -> Option<SlowestCheck> {
    checks
        .iter()
        .filter(|check| check.probes.contains(probe))
        // Ties go to the first name, so that generated manifests never depend on link order.
        .max_by(|a, b| (a.timeout.cmp(&b.timeout)).then(b.name().cmp(a.name())))
        .map(|check| SlowestCheck {
            name: check.name().to_owned(),
            timeout: check.timeout,
        })
}

/// Whole seconds covering `duration`, at least one.
pub(crate) fn ceil_seconds(duration: Duration) -> u64 {
    ceil_seconds_or_zero(duration).max(1)
}

/// Whole seconds covering `duration`; zero stays zero.
pub(crate) fn ceil_seconds_or_zero(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// The `timeoutSeconds` a probe needs: its slowest check plus the margin, rounded up.
pub(crate) fn required_timeout_seconds(slowest: Option<&SlowestCheck>, margin: Duration) -> u64 {
    let slowest = slowest.map_or(Duration::ZERO, |s| s.timeout);
    ceil_seconds(slowest + margin)
}

/// How long a startup probe lets the service start before the kubelet restarts it: the
/// `failureThreshold`-th consecutive failure lands `(failureThreshold - 1) × periodSeconds`
/// after the first probe, which runs after `initialDelaySeconds`.
pub(crate) fn startup_budget(initial_delay: u64, period: u64, failure_threshold: u64) -> Duration {
    Duration::from_secs(
        initial_delay.saturating_add(failure_threshold.saturating_sub(1).saturating_mul(period)),
    )
}

/// The longest a readiness probe can take to report a 503 that began just after a probe:
/// `failureThreshold` probes, one period apart, the first up to a period away.
pub(crate) fn readiness_notice(period: u64, failure_threshold: u64) -> Duration {
    Duration::from_secs(period.saturating_mul(failure_threshold))
}

/// What a generated probe calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlannedAction {
    /// `GET path` on the HTTP port.
    Http { path: String, port: u16 },
    /// `grpc.health.v1.Health/Check` of `service` on the gRPC port.
    Grpc { port: u16, service: String },
}

/// The settings of one generated probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProbePlan {
    pub(crate) probe: Probe,
    pub(crate) action: PlannedAction,
    pub(crate) initial_delay_seconds: Option<u64>,
    pub(crate) period_seconds: u64,
    pub(crate) timeout_seconds: u64,
    pub(crate) success_threshold: u64,
    pub(crate) failure_threshold: u64,
    pub(crate) slowest: Option<SlowestCheck>,
    /// The check of the probe with the largest failure threshold above 1, and that
    /// threshold: an outage counts only after that many failed runs.
    pub(crate) damped: Option<(String, u32)>,
}

/// Everything both generators write: the three probes and the shutdown budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Startup, liveness, readiness.
    pub(crate) probes: Vec<ProbePlan>,
    pub(crate) termination_grace_seconds: u64,
    pub(crate) pre_stop_seconds: Option<u64>,
    pub(crate) comment: String,
}

impl Plan {
    pub(crate) fn probe(&self, probe: Probe) -> &ProbePlan {
        self.probes
            .iter()
            .find(|plan| plan.probe == probe)
            .expect("a plan for every probe")
    }
}

/// Plans the probes and the grace period of `checks` for `platform`, or says which check
/// or setting the platform would reject.
pub(crate) fn plan(
    checks: &[Check],
    config: &DeployConfig,
    platform: Platform,
) -> Result<Plan, DeployError> {
    validate_config(config, platform)?;
    // No delay is the default on both platforms; Container Apps rejects an explicit 0.
    let initial_delay = config
        .initial_delay
        .map(ceil_seconds_or_zero)
        .filter(|delay| *delay > 0);
    let probes = Probe::ALL
        .into_iter()
        .map(|probe| plan_probe(checks, config, platform, probe, initial_delay))
        .collect::<Result<Vec<_>, _>>()?;
    let pre_stop_seconds = match platform {
        Platform::Kubernetes => config.pre_stop_sleep.map(ceil_seconds),
        Platform::ContainerApps => None,
    };
    let shutdown = config.drain_delay + config.shutdown_timeout;
    let termination_grace_seconds = ceil_seconds_or_zero(shutdown) + pre_stop_seconds.unwrap_or(0);
    check_range(
        platform,
        "terminationGracePeriodSeconds",
        None,
        termination_grace_seconds,
        platform.grace_period_range(),
    )?;
    let mut plan = Plan {
        probes,
        termination_grace_seconds,
        pre_stop_seconds,
        comment: String::new(),
    };
    plan.comment = rationale(&plan, config);
    Ok(plan)
}

fn plan_probe(
    checks: &[Check],
    config: &DeployConfig,
    platform: Platform,
    probe: Probe,
    initial_delay: Option<u64>,
) -> Result<ProbePlan, DeployError> {
    let slowest = slowest_check(checks, probe);
    let timeout = required_timeout_seconds(slowest.as_ref(), config.timeout_margin);
    if let Some(slowest) = &slowest
        && !platform.timeout_range().contains(timeout)
    {
        return Err(DeployError::CheckTooSlow {
            platform,
            probe,
            check: slowest.name.clone(),
            check_timeout: slowest.timeout,
            needed_seconds: timeout,
            max_seconds: platform.timeout_range().max,
        });
    }
    // A period shorter than the timeout would only queue probes behind each other.
    let mut period = match probe {
        Probe::Readiness => readiness_period(config, platform)?,
        _ => ceil_seconds(config.period(probe)).max(timeout),
    };
    let (failure_threshold, success_threshold) = match probe {
        Probe::Liveness => (u64::from(config.liveness_failures), 1),
        Probe::Readiness => (
            u64::from(config.readiness_failures),
            u64::from(config.readiness_successes),
        ),
        Probe::Startup => {
            let (threshold, startup_period) =
                startup_threshold(config, platform, period, initial_delay.unwrap_or(0))?;
            period = startup_period;
            (threshold, 1)
        }
    };
    let action = match (platform, config.grpc_port) {
        (Platform::Kubernetes, Some(port)) => PlannedAction::Grpc {
            port,
            // Every generated probe names its service: `""` would mean readiness.
            service: probe.as_str().to_owned(),
        },
        _ => PlannedAction::Http {
            path: config.path(probe).to_owned(),
            port: config.port,
        },
    };
    let plan = ProbePlan {
        probe,
        action,
        initial_delay_seconds: initial_delay,
        period_seconds: period,
        timeout_seconds: timeout,
        success_threshold,
        failure_threshold,
        slowest,
        damped: damped_check(checks, probe),
    };
    check_ranges(&plan, platform)?;
    Ok(plan)
}

/// A readiness period at which `failureThreshold` failures fit in the drain delay: the
/// configured one, or the longest up to 10 s. It may be shorter than the timeout: the 503
/// of a shutdown answers at once, and a slow healthy answer only delays the next probe.
fn readiness_period(config: &DeployConfig, platform: Platform) -> Result<u64, DeployError> {
    let failures = u64::from(config.readiness_failures).max(1);
    let period = match config.readiness_period {
        Some(period) => ceil_seconds(period),
        None => (config.drain_delay.as_secs() / failures).clamp(1, 10),
    };
    if readiness_notice(period, failures) > config.drain_delay {
        return Err(DeployError::DrainTooShort {
            platform,
            period_seconds: period,
            failure_threshold: failures,
            drain_delay: config.drain_delay,
        });
    }
    Ok(period)
}

/// The port, paths, name, image and periods both platforms reject whatever the checks.
fn validate_config(config: &DeployConfig, platform: Platform) -> Result<(), DeployError> {
    let invalid = |field: &'static str, value: &str, reason: &'static str| DeployError::Invalid {
        platform,
        field,
        value: value.to_owned(),
        reason,
    };
    if config.grpc_port == Some(0) {
        return Err(invalid("grpc_port", "0", "must be 1 to 65535"));
    }
    if !config.http {
        match (platform, config.grpc_port) {
            (Platform::ContainerApps, _) => {
                return Err(DeployError::GrpcProbeUnsupported {
                    platform,
                    grpc_port: config.grpc_port,
                });
            }
            (Platform::Kubernetes, None) => {
                return Err(invalid(
                    "grpc_port",
                    "none",
                    "a gRPC-only service needs the port it serves grpc.health.v1 on",
                ));
            }
            (Platform::Kubernetes, Some(_)) => {}
        }
    } else if config.port == 0 {
        return Err(invalid("port", "0", "must be 1 to 65535"));
    }
    for probe in Probe::ALL {
        let path = config.path(probe);
        if config.http && !path.starts_with('/') {
            return Err(invalid("path", path, "must start with `/`"));
        }
        if config.http && path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("path", path, "must not contain spaces"));
        }
        if config.period(probe).is_zero() {
            return Err(DeployError::OutOfRange {
                platform,
                field: "periodSeconds",
                probe: Some(probe),
                value: 0,
                min: 1,
                max: platform.period_range().max,
            });
        }
    }
    if let Some(reason) = platform.name_error(&config.name) {
        return Err(invalid("name", &config.name, reason));
    }
    let image = config.image_or_default();
    if image.trim().is_empty() || image.trim() != image {
        return Err(invalid(
            "image",
            &image,
            "must be a non-empty image reference without surrounding spaces",
        ));
    }
    Ok(())
}

/// The smallest failure threshold whose budget covers the expected startup; when the
/// platform caps the threshold, the period grows instead.
fn startup_threshold(
    config: &DeployConfig,
    platform: Platform,
    period: u64,
    initial_delay: u64,
) -> Result<(u64, u64), DeployError> {
    let expected = ceil_seconds_or_zero(
        config
            .expected_startup
            .saturating_sub(Duration::from_secs(initial_delay)),
    );
    let threshold_for = |period: u64| expected.div_ceil(period) + 1;
    let max_threshold = platform.failure_threshold_range().max;
    if threshold_for(period) <= max_threshold {
        return Ok((threshold_for(period), period));
    }
    let period = expected.div_ceil(max_threshold - 1);
    let max_period = platform.period_range().max;
    if period > max_period {
        return Err(DeployError::StartupTooLong {
            platform,
            expected: config.expected_startup,
            // The configured delay, not the platform's largest: the figure must be one this
            // configuration can reach.
            max_budget: startup_budget(initial_delay, max_period, max_threshold),
        });
    }
    Ok((threshold_for(period), period))
}

fn check_ranges(plan: &ProbePlan, platform: Platform) -> Result<(), DeployError> {
    let mut fields = vec![
        (
            "periodSeconds",
            plan.period_seconds,
            platform.period_range(),
        ),
        (
            "timeoutSeconds",
            plan.timeout_seconds,
            platform.timeout_range(),
        ),
        (
            "failureThreshold",
            plan.failure_threshold,
            platform.failure_threshold_range(),
        ),
        (
            "successThreshold",
            plan.success_threshold,
            platform.success_threshold_range(),
        ),
    ];
    if let Some(delay) = plan.initial_delay_seconds {
        fields.push(("initialDelaySeconds", delay, platform.initial_delay_range()));
    }
    for (field, value, range) in fields {
        check_range(platform, field, Some(plan.probe), value, range)?;
    }
    Ok(())
}

fn check_range(
    platform: Platform,
    field: &'static str,
    probe: Option<Probe>,
    value: u64,
    range: Range,
) -> Result<(), DeployError> {
    if range.contains(value) {
        return Ok(());
    }
    Err(DeployError::OutOfRange {
        platform,
        field,
        probe,
        value,
        min: range.min,
        max: range.max,
    })
}

/// Why the numbers are what they are, one line a probe and one for the grace period, for a
/// comment above the manifest.
fn rationale(plan: &Plan, config: &DeployConfig) -> String {
    let mut lines: Vec<String> = plan
        .probes
        .iter()
        .map(|probe| probe_rationale(probe, config))
        .collect();
    let pre_stop = match plan.pre_stop_seconds {
        Some(seconds) => format!("preStop sleep {seconds}s + "),
        None => String::new(),
    };
    lines.push(format!(
        "terminationGracePeriodSeconds {} covers {pre_stop}drain {} ms + shutdown {} ms",
        plan.termination_grace_seconds,
        config.drain_delay.as_millis(),
        config.shutdown_timeout.as_millis()
    ));
    lines.join("\n")
}

/// The check of `probe` that takes the most consecutive failures to count, if any takes
/// more than one.
fn damped_check(checks: &[Check], probe: Probe) -> Option<(String, u32)> {
    checks
        .iter()
        .filter(|check| check.runs_in(probe) && check.failures > 1)
        .max_by(|a, b| a.failures.cmp(&b.failures).then(b.name().cmp(a.name())))
        .map(|check| (check.name().to_owned(), check.failures))
}

/// How long an outage takes to fail the probe `failure_threshold` times when the check
/// itself counts only after `failures` runs: `failures - 1` more periods.
pub(crate) fn damped_notice(period: u64, failure_threshold: u64, failures: u32) -> Duration {
    Duration::from_secs(
        period.saturating_mul(failure_threshold.saturating_add(u64::from(failures) - 1)),
    )
}

fn probe_rationale(plan: &ProbePlan, config: &DeployConfig) -> String {
    let timeout = match &plan.slowest {
        Some(slowest) => format!(
            "timeout {}s covers check `{}` ({} ms) + {} ms margin",
            plan.timeout_seconds,
            slowest.name,
            slowest.timeout.as_millis(),
            config.timeout_margin.as_millis()
        ),
        None => format!("timeout {}s (no checks)", plan.timeout_seconds),
    };
    let line = match plan.probe {
        Probe::Startup => {
            let budget = startup_budget(
                plan.initial_delay_seconds.unwrap_or(0),
                plan.period_seconds,
                plan.failure_threshold,
            );
            format!(
                "{}: {timeout}; budget {}s covers the expected startup of {}s",
                plan.probe,
                budget.as_secs(),
                ceil_seconds_or_zero(config.expected_startup)
            )
        }
        Probe::Readiness => format!(
            "{}: {timeout}; {} is seen within {}s",
            plan.probe,
            match plan.action {
                PlannedAction::Http { .. } => "a 503",
                PlannedAction::Grpc { .. } => "NOT_SERVING",
            },
            readiness_notice(plan.period_seconds, plan.failure_threshold).as_secs()
        ),
        Probe::Liveness => format!("{}: {timeout}", plan.probe),
    };
    let line = match (&plan.damped, plan.probe) {
        (Some((check, failures)), Probe::Readiness | Probe::Liveness) => format!(
            "{line}; check `{check}` counts after {failures} failed runs, so an outage fails \
             the probe after {}s",
            damped_notice(plan.period_seconds, plan.failure_threshold, *failures).as_secs()
        ),
        _ => line,
    };
    match &plan.action {
        PlannedAction::Grpc { service, .. } => format!("{line}; gRPC service `{service}`"),
        PlannedAction::Http { .. } => line,
    }
}
