//! Memory use of the container, or of the process outside one (no feature: reads
//! `/sys/fs/cgroup` and `/proc`).
//!
//! Under cgroup v2 (every current Kubernetes node and Azure Container Apps) the figures
//! are the container's: `memory.current` against `memory.max`, the limit the OOM killer
//! enforces. Without a v2 limit the check falls back to the process's resident set
//! (`VmRSS`) against the machine's memory (`MemTotal`). Above the warning fraction the
//! check is degraded; above the failing fraction, unhealthy — a replica about to be
//! OOM-killed should leave rotation first.
//!
//! ```
//! use health_runtime::{Health, checks};
//! use health_runtime::checks::memory::Thresholds;
//!
//! let health = Health::builder()
//!     .check(checks::memory::check("memory", Thresholds::used_fraction(0.85, 0.95)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::units::bytes;
use crate::check::{Check, CheckOutcome};

/// When memory use is too high, as a fraction of the limit: warn (degraded) above one,
/// fail above the other.
///
/// ```
/// use health_runtime::checks::memory::Thresholds;
///
/// // Degraded above 80 % of the limit, unhealthy above 95 %.
/// let thresholds = Thresholds::used_fraction(0.80, 0.95);
/// # let _ = thresholds;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    warn_above: f64,
    fail_above: f64,
}

/// The fractions a [`usage`] run is judged by.
///
/// ```
/// use health_runtime::checks::memory::{self, Thresholds};
///
/// let check = memory::check("memory", Thresholds::used_fraction(0.80, 0.95));
/// assert_eq!(check.name(), "memory");
/// ```
impl Thresholds {
    /// Degraded above `warn_above` of the limit (0.0..=1.0), unhealthy above `fail_above`.
    ///
    /// ```
    /// let thresholds = health_runtime::checks::memory::Thresholds::used_fraction(0.80, 0.95);
    /// # let _ = thresholds;
    /// ```
    pub fn used_fraction(warn_above: f64, fail_above: f64) -> Thresholds {
        Thresholds {
            warn_above: warn_above.min(fail_above),
            fail_above,
        }
    }
}

/// Where the figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    CgroupV2,
    ProcessRss,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::CgroupV2 => "cgroup v2",
            Source::ProcessRss => "process RSS",
        }
    }
}

/// The memory in use and its limit, with where they were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    used: u64,
    limit: u64,
    source: Source,
}

/// The machine's figures: the container's cgroup, or the process.
fn read_usage() -> Result<Usage, String> {
    let cgroup = own_cgroup_dir(Path::new("/proc/self/cgroup"), Path::new("/sys/fs/cgroup"));
    usage_from(cgroup.as_deref(), Path::new("/proc"))
}

/// The cgroup v2 directory of this process (`0::/path` in `/proc/self/cgroup`).
fn own_cgroup_dir(proc_cgroup: &Path, root: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(proc_cgroup).ok()?;
    let relative = text.lines().find_map(|line| line.strip_prefix("0::"))?;
    Some(root.join(relative.trim_start_matches('/')))
}

fn usage_from(cgroup: Option<&Path>, proc: &Path) -> Result<Usage, String> {
    if let Some(dir) = cgroup {
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
        if let (Some(current), Some(max)) = (read("memory.current"), read("memory.max")) {
            // `max` means no limit: the machine's memory is the limit, as below.
            if let (Ok(used), Ok(limit)) = (current.trim().parse(), max.trim().parse()) {
                return Ok(Usage {
                    used,
                    limit,
                    source: Source::CgroupV2,
                });
            }
        }
    }
    let status = std::fs::read_to_string(proc.join("self/status"))
        .map_err(|error| format!("memory: cannot read /proc/self/status: {error}"))?;
    let meminfo = std::fs::read_to_string(proc.join("meminfo"))
        .map_err(|error| format!("memory: cannot read /proc/meminfo: {error}"))?;
    let kib = |text: &str, key: &str| -> Option<u64> {
        let line = text.lines().find(|line| line.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()
    };
    match (kib(&status, "VmRSS:"), kib(&meminfo, "MemTotal:")) {
        (Some(rss), Some(total)) => Ok(Usage {
            used: rss * 1024,
            limit: total * 1024,
            source: Source::ProcessRss,
        }),
        _ => Err("memory: no VmRSS or MemTotal in /proc".to_owned()),
    }
}

fn judge(usage: Usage, thresholds: Thresholds) -> CheckOutcome {
    let fraction = usage.used as f64 / usage.limit.max(1) as f64;
    let summary = format!(
        "memory: {} of {} in use ({:.0}%, {})",
        bytes(usage.used),
        bytes(usage.limit),
        fraction * 100.0,
        usage.source.name()
    );
    let outcome = if fraction > thresholds.fail_above {
        CheckOutcome::unhealthy(format!(
            "{summary}, above {:.0}%",
            thresholds.fail_above * 100.0
        ))
    } else if fraction > thresholds.warn_above {
        CheckOutcome::degraded(format!(
            "{summary}, above the warning level {:.0}%",
            thresholds.warn_above * 100.0
        ))
    } else {
        CheckOutcome::healthy()
    };
    outcome
        .with_detail("used_bytes", usage.used)
        .with_detail("limit_bytes", usage.limit)
        .with_detail("source", usage.source.name())
}

/// The container's (or the process's) memory use judged by `thresholds`.
///
/// ```
/// use health_runtime::checks::memory::{Thresholds, usage};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Thresholds above 100 %: the process's own use never fails it.
/// let outcome = usage(Thresholds::used_fraction(2.0, 2.0)).await;
/// assert!(outcome.message().is_none(), "{outcome:?}");
/// # }
/// ```
pub async fn usage(thresholds: Thresholds) -> CheckOutcome {
    match read_usage() {
        Ok(usage) => judge(usage, thresholds),
        Err(message) => CheckOutcome::unhealthy(message),
    }
}

/// A readiness [`Check`] named `name` on the container's memory use.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::memory::{self, Thresholds};
///
/// let health = Health::builder()
///     .check(memory::check("memory", Thresholds::used_fraction(0.80, 0.95)))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, thresholds: Thresholds) -> Check {
    Check::new(name, move || usage(thresholds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckStatus;

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
    }

    #[test]
    fn cgroup_v2_limit_then_rss_fallback() {
        let root =
            std::env::temp_dir().join(format!("health-runtime-memory-{}", std::process::id()));
        let cgroup = root.join("sys/fs/cgroup/kubepods/pod1");
        write(&root, "cgroup", "0::/kubepods/pod1\n");
        write(&cgroup, "memory.current", "805306368\n");
        write(&cgroup, "memory.max", "1073741824\n");
        write(
            &root.join("proc/self"),
            "status",
            "Name:\tapp\nVmRSS:\t  2048 kB\n",
        );
        write(&root.join("proc"), "meminfo", "MemTotal:       4096 kB\n");
        let dir = own_cgroup_dir(&root.join("cgroup"), &root.join("sys/fs/cgroup")).unwrap();
        let usage = usage_from(Some(&dir), &root.join("proc")).unwrap();
        assert_eq!(
            (usage.used, usage.limit, usage.source),
            (805306368, 1 << 30, Source::CgroupV2)
        );
        let outcome = judge(usage, Thresholds::used_fraction(0.7, 0.9));
        assert_eq!(outcome.status(), CheckStatus::Degraded);
        assert_eq!(
            outcome.message(),
            Some(
                "memory: 768.0 MiB of 1.0 GiB in use (75%, cgroup v2), above the warning level 70%"
            )
        );
        // No limit set: the process against the machine.
        write(&cgroup, "memory.max", "max\n");
        let usage = usage_from(Some(&dir), &root.join("proc")).unwrap();
        assert_eq!(
            (usage.used, usage.limit, usage.source),
            (2 << 20, 4 << 20, Source::ProcessRss)
        );
        assert_eq!(
            judge(usage, Thresholds::used_fraction(0.3, 0.4)).status(),
            CheckStatus::Unhealthy
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
