//! The rules that turn checks and a [`DeployConfig`] into probe timings, shared by the
//! generators and the lint.

use std::fmt;
use std::time::Duration;

use crate::{Check, Probe};

use super::{DeployConfig, DeployError};

/// Where the probes are deployed; each platform has its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// A Kubernetes container (`startupProbe`, `livenessProbe`, `readinessProbe`).
    Kubernetes,
    /// An Azure Container Apps container (`probes:` list), with narrower ranges.
    ContainerApps,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::Kubernetes => "Kubernetes",
            Platform::ContainerApps => "Azure Container Apps",
        })
    }
}

/// The accepted range of one probe field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) min: u64,
    pub(crate) max: u64,
}

impl Range {
    const fn new(min: u64, max: u64) -> Range {
        Range { min, max }
    }

    pub(crate) fn contains(self, value: u64) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

impl Platform {
    pub(crate) fn timeout_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(1, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 240),
        }
    }

    pub(crate) fn period_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(1, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 240),
        }
    }

    pub(crate) fn failure_threshold_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(1, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 10),
        }
    }

    pub(crate) fn success_threshold_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(1, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 10),
        }
    }

    pub(crate) fn initial_delay_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(0, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 60),
        }
    }
}

/// The slowest check a probe runs: the probe's response takes as long as this one, since
/// the checks of a probe run concurrently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowestCheck {
    /// The check's name.
    pub name: String,
    /// Its timeout: the longest the probe's response can take because of it.
    pub timeout: Duration,
}

/// The slowest check `probe` runs, if it runs any.
pub fn slowest_check(checks: &[Check], probe: Probe) -> Option<SlowestCheck> {
    checks
        .iter()
        .filter(|check| check.probe_set().contains(probe))
        // Ties go to the first name, so that generated manifests never depend on link order.
        .max_by(|a, b| {
            (a.timeout_duration().cmp(&b.timeout_duration())).then(b.name().cmp(a.name()))
        })
        .map(|check| SlowestCheck {
            name: check.name().to_owned(),
            timeout: check.timeout_duration(),
        })
}

/// Whole seconds covering `duration`, at least one.
pub(crate) fn ceil_seconds(duration: Duration) -> u64 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    seconds.max(1)
}

/// The `timeoutSeconds` a probe needs: its slowest check plus the margin, rounded up.
pub fn required_timeout_seconds(slowest: Option<&SlowestCheck>, margin: Duration) -> u64 {
    let slowest = slowest.map_or(Duration::ZERO, |s| s.timeout);
    ceil_seconds(slowest + margin)
}

/// How long a startup probe lets the service start before the kubelet restarts it: the
/// `failureThreshold`-th consecutive failure lands `(failureThreshold - 1) × periodSeconds`
/// after the first probe, which runs after `initialDelaySeconds`.
pub fn startup_budget(initial_delay: u64, period: u64, failure_threshold: u64) -> Duration {
    Duration::from_secs(initial_delay + failure_threshold.saturating_sub(1) * period)
}

/// The settings of one generated probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePlan {
    /// Which probe.
    pub probe: Probe,
    /// The path it calls.
    pub path: String,
    /// The port it calls.
    pub port: u16,
    /// `initialDelaySeconds`, when configured.
    pub initial_delay_seconds: Option<u64>,
    /// `periodSeconds`.
    pub period_seconds: u64,
    /// `timeoutSeconds`.
    pub timeout_seconds: u64,
    /// `successThreshold`.
    pub success_threshold: u64,
    /// `failureThreshold`.
    pub failure_threshold: u64,
    /// The check that sets `timeoutSeconds`, if the probe runs any.
    pub slowest: Option<SlowestCheck>,
}

impl ProbePlan {
    /// Why the numbers are what they are, for a comment above the manifest.
    pub fn rationale(&self, config: &DeployConfig) -> String {
        let timeout = match &self.slowest {
            Some(slowest) => format!(
                "timeout {}s covers check `{}` ({} ms) + {} ms margin",
                self.timeout_seconds,
                slowest.name,
                slowest.timeout.as_millis(),
                config.timeout_margin.as_millis()
            ),
            None => format!("timeout {}s (no checks)", self.timeout_seconds),
        };
        if self.probe == Probe::Startup {
            let budget = startup_budget(
                self.initial_delay_seconds.unwrap_or(0),
                self.period_seconds,
                self.failure_threshold,
            );
            format!(
                "{}: {timeout}; budget {}s covers the expected startup of {}s",
                self.probe,
                budget.as_secs(),
                ceil_seconds(config.expected_startup)
            )
        } else {
            format!("{}: {timeout}", self.probe)
        }
    }
}

/// Plans the three probes of `checks` for `platform`, in [`Probe::ALL`] order (startup,
/// liveness, readiness).
pub fn plan(
    checks: &[Check],
    config: &DeployConfig,
    platform: Platform,
) -> Result<Vec<ProbePlan>, DeployError> {
    // No delay is the default on both platforms; Container Apps rejects an explicit 0.
    let initial_delay = config
        .initial_delay
        .map(ceil_seconds_or_zero)
        .filter(|delay| *delay > 0);
    Probe::ALL
        .into_iter()
        .map(|probe| {
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
            let mut period = ceil_seconds(config.period(probe)).max(timeout);
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
            let plan = ProbePlan {
                probe,
                path: config.path(probe).to_owned(),
                port: config.port,
                initial_delay_seconds: initial_delay,
                period_seconds: period,
                timeout_seconds: timeout,
                success_threshold,
                failure_threshold,
                slowest,
            };
            check_ranges(&plan, platform)?;
            Ok(plan)
        })
        .collect()
}

fn ceil_seconds_or_zero(duration: Duration) -> u64 {
    if duration.is_zero() {
        0
    } else {
        ceil_seconds(duration)
    }
}

/// The smallest failure threshold whose budget covers the expected startup; when the
/// platform caps the threshold, the period grows instead.
fn startup_threshold(
    config: &DeployConfig,
    platform: Platform,
    period: u64,
    initial_delay: u64,
) -> Result<(u64, u64), DeployError> {
    let expected = config
        .expected_startup
        .saturating_sub(Duration::from_secs(initial_delay));
    let expected = if expected.is_zero() {
        0
    } else {
        ceil_seconds(expected)
    };
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
            max_budget: startup_budget(
                platform.initial_delay_range().max,
                max_period,
                max_threshold,
            ),
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
        if !range.contains(value) {
            return Err(DeployError::OutOfRange {
                platform,
                field,
                probe: plan.probe,
                value,
                min: range.min,
                max: range.max,
            });
        }
    }
    Ok(())
}
