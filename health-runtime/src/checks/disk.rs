//! Free disk space of the filesystem holding a path (no feature: `statvfs(3)` through
//! `libc`, already in every tokio build).
//!
//! Below the warning threshold the check is degraded (the report stays 200 and says why);
//! below the failing threshold it is unhealthy. A scratch volume that fills up is the
//! classic cause of a pod that answers but cannot work.
//!
//! ```
//! use health_runtime::{Health, checks};
//! use health_runtime::checks::disk::Thresholds;
//!
//! const GIB: u64 = 1 << 30;
//! let health = Health::builder()
//!     .check(checks::disk::check("scratch", "/tmp", Thresholds::free_bytes(2 * GIB, 512 << 20)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::units::bytes;
use crate::check::{Check, CheckOutcome};

/// When free space is too little: warn (degraded) below one figure, fail below another.
///
/// ```
/// use health_runtime::checks::disk::Thresholds;
///
/// // Degraded under 1 GiB free, unhealthy under 100 MiB.
/// let thresholds = Thresholds::free_bytes(1 << 30, 100 << 20);
/// # let _ = thresholds;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    warn_below: u64,
    fail_below: u64,
}

/// The figures a [`free_space`] run is judged by.
///
/// ```
/// use health_runtime::checks::disk::{self, Thresholds};
///
/// let check = disk::check("scratch", "/tmp", Thresholds::free_bytes(1 << 30, 100 << 20));
/// assert_eq!(check.name(), "scratch");
/// ```
impl Thresholds {
    /// Degraded below `warn_below` free bytes, unhealthy below `fail_below`.
    ///
    /// ```
    /// let thresholds = health_runtime::checks::disk::Thresholds::free_bytes(1 << 30, 100 << 20);
    /// # let _ = thresholds;
    /// ```
    pub fn free_bytes(warn_below: u64, fail_below: u64) -> Thresholds {
        Thresholds {
            warn_below: warn_below.max(fail_below),
            fail_below,
        }
    }
}

/// The free space of the filesystem holding `path`, judged by `thresholds`; the free and
/// total bytes are details.
///
/// ```
/// use std::path::Path;
/// use health_runtime::CheckStatus;
/// use health_runtime::checks::disk::{Thresholds, free_space};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Zero thresholds: any filesystem with space left is healthy.
/// let outcome = free_space(Path::new("/"), Thresholds::free_bytes(0, 0)).await;
/// assert_eq!(outcome.status(), CheckStatus::Healthy);
/// # }
/// ```
pub async fn free_space(path: &Path, thresholds: Thresholds) -> CheckOutcome {
    let owned = path.to_path_buf();
    // statvfs can block on a network filesystem: off the runtime's threads.
    let measured = tokio::task::spawn_blocking(move || statvfs(&owned)).await;
    let (free, total) = match measured {
        Ok(Ok(figures)) => figures,
        Ok(Err(error)) => {
            return CheckOutcome::unhealthy(format!("disk: {}: {error}", path.display()));
        }
        Err(error) => return CheckOutcome::unhealthy(format!("disk: {error}")),
    };
    judge(path, free, total, thresholds)
}

fn judge(path: &Path, free: u64, total: u64, thresholds: Thresholds) -> CheckOutcome {
    let outcome = if free < thresholds.fail_below {
        CheckOutcome::unhealthy(format!(
            "disk: {} has {} free, below {}",
            path.display(),
            bytes(free),
            bytes(thresholds.fail_below)
        ))
    } else if free < thresholds.warn_below {
        CheckOutcome::degraded(format!(
            "disk: {} has {} free, below the warning level {}",
            path.display(),
            bytes(free),
            bytes(thresholds.warn_below)
        ))
    } else {
        CheckOutcome::healthy()
    };
    outcome
        .with_detail("free_bytes", free)
        .with_detail("total_bytes", total)
}

/// Free bytes for an unprivileged process and total bytes of the filesystem of `path`.
fn statvfs(path: &Path) -> std::io::Result<(u64, u64)> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "path holds a NUL"))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid C string and `stat` is a writable statvfs.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs succeeded, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    // The field types are 32 bits wide on some targets.
    #[allow(clippy::useless_conversion)]
    let (fragment, available, blocks) = (
        u64::from(stat.f_frsize),
        u64::from(stat.f_bavail),
        u64::from(stat.f_blocks),
    );
    Ok((available * fragment, blocks * fragment))
}

/// A readiness [`Check`] named `name` on the filesystem holding `path`.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::disk::{self, Thresholds};
///
/// let health = Health::builder()
///     .check(disk::check("models", "/var/lib/models", Thresholds::free_bytes(10 << 30, 1 << 30)))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(
    name: impl Into<Cow<'static, str>>,
    path: impl Into<PathBuf>,
    thresholds: Thresholds,
) -> Check {
    let path: Arc<Path> = path.into().into();
    Check::new(name, move || {
        let path = Arc::clone(&path);
        async move { free_space(&path, thresholds).await }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckStatus;

    #[test]
    fn thresholds_degrade_then_fail() {
        let t = Thresholds::free_bytes(100, 10);
        let path = Path::new("/data");
        assert_eq!(judge(path, 500, 1000, t).status(), CheckStatus::Healthy);
        let warn = judge(path, 50, 1000, t);
        assert_eq!(warn.status(), CheckStatus::Degraded);
        assert_eq!(
            warn.message(),
            Some("disk: /data has 50 B free, below the warning level 100 B")
        );
        assert_eq!(judge(path, 5, 1000, t).status(), CheckStatus::Unhealthy);
    }

    #[tokio::test]
    async fn a_missing_path_is_named() {
        let outcome = free_space(Path::new("/no/such/dir"), Thresholds::free_bytes(0, 0)).await;
        assert_eq!(
            outcome.message(),
            Some("disk: /no/such/dir: No such file or directory (os error 2)")
        );
    }
}
