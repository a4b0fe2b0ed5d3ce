//! The two platforms and the values each one accepts, as their own validation states them:
//! the Kubernetes apiserver (`int32` fields, ports 1–65535, DNS labels) and the Container
//! Apps API (`ContainerAppProbe`'s ranges).

use std::fmt;

/// Where the probes are deployed; each platform has its own limits.
///
/// ```
/// use health_runtime::deploy::Platform;
///
/// assert_eq!(Platform::ContainerApps.to_string(), "Azure Container Apps");
/// ```
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

/// The accepted range of one field.
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

/// Kubernetes stores probe fields as `int32`, and turns an explicit 0 into the default
/// (1 s timeout, 10 s period, thresholds 1 and 3), so 0 never means what it says.
const INT32: Range = Range::new(1, i32::MAX as u64);

impl Platform {
    pub(crate) fn timeout_range(self) -> Range {
        match self {
            Platform::Kubernetes => INT32,
            Platform::ContainerApps => Range::new(1, 240),
        }
    }

    pub(crate) fn period_range(self) -> Range {
        match self {
            Platform::Kubernetes => INT32,
            Platform::ContainerApps => Range::new(1, 240),
        }
    }

    pub(crate) fn failure_threshold_range(self) -> Range {
        match self {
            Platform::Kubernetes => INT32,
            Platform::ContainerApps => Range::new(1, 10),
        }
    }

    pub(crate) fn success_threshold_range(self) -> Range {
        match self {
            Platform::Kubernetes => INT32,
            Platform::ContainerApps => Range::new(1, 10),
        }
    }

    /// An absent delay is 0 on both; Container Apps rejects a written 0.
    pub(crate) fn initial_delay_range(self) -> Range {
        match self {
            Platform::Kubernetes => Range::new(0, i32::MAX as u64),
            Platform::ContainerApps => Range::new(1, 60),
        }
    }

    /// `terminationGracePeriodSeconds` of the pod or the Container Apps template.
    pub(crate) fn grace_period_range(self) -> Range {
        Range::new(0, i64::MAX as u64)
    }

    /// Why `name` cannot name the workload and its container, if it cannot.
    pub(crate) fn name_error(self, name: &str) -> Option<&'static str> {
        match self {
            Platform::Kubernetes => dns_label_error(name),
            Platform::ContainerApps => container_app_name_error(name),
        }
    }
}

/// The apiserver's DNS-1123 label: container names and Deployment names alike.
fn dns_label_error(name: &str) -> Option<&'static str> {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if name.is_empty() || name.len() > 63 {
        Some("must be 1 to 63 characters")
    } else if !name.chars().all(|c| alnum(c) || c == '-') {
        Some("must consist of lower case letters, digits and '-'")
    } else if !name.starts_with(alnum) || !name.ends_with(alnum) {
        Some("must start and end with a lower case letter or a digit")
    } else {
        None
    }
}

/// Container Apps: 2–32 lower case letters, digits and single hyphens, starting with a
/// letter and ending with a letter or digit.
fn container_app_name_error(name: &str) -> Option<&'static str> {
    if !(2..=32).contains(&name.len()) {
        Some("must be 2 to 32 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lower case letter")
    } else if name.contains("--") {
        Some("must not contain '--'")
    } else {
        dns_label_error(name)
    }
}
