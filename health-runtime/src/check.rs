//! Check descriptors: what a check is called, how long it may take, which probes run it.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::resources::{ResourceLookup, short_type_name};
use crate::{CheckOutcome, ConfigError, IntoCheckOutcome, Probe, ProbeSet, Resources};

/// The future of one check run.
pub type CheckFuture = Pin<Box<dyn Future<Output = CheckOutcome> + Send + 'static>>;

/// The default timeout of a check, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;
/// The largest timeout a check may have, in milliseconds: 240 s is Azure Container Apps'
/// maximum probe timeout, and a check slower than its probe can never pass.
pub const MAX_TIMEOUT_MS: u64 = 240_000;
/// The longest check name or tag.
pub const MAX_NAME_LEN: usize = 63;

type DynRun = dyn Fn(&Resources) -> CheckFuture + Send + Sync;

#[derive(Clone)]
enum Runner {
    Static(fn(&Resources) -> CheckFuture),
    Dynamic(Arc<DynRun>),
}

/// A health check registered by `#[health_check]`, gathered at link time.
///
/// Users do not build this type; the attribute does. It is public so that a
/// `health_routes!(checks = [...])` list can name checks by their function, and so that
/// [`RouteOptions::only`](crate::RouteOptions::only) can take them without macros.
///
/// ```
/// use health_runtime::{RegisteredCheck, health_check};
///
/// #[health_check(name = "static_example", timeout_ms = 250)]
/// async fn static_example() {}
///
/// let descriptor = <static_example as RegisteredCheck>::descriptor();
/// assert_eq!(descriptor.name, "static_example");
/// assert_eq!(descriptor.timeout_ms, 250);
/// ```
#[derive(Debug)]
pub struct StaticCheck {
    #[doc(hidden)]
    pub name: &'static str,
    #[doc(hidden)]
    pub timeout_ms: u64,
    #[doc(hidden)]
    pub probes: ProbeSet,
    #[doc(hidden)]
    pub critical: bool,
    #[doc(hidden)]
    pub tags: &'static [&'static str],
    #[doc(hidden)]
    pub source: &'static str,
    #[doc(hidden)]
    pub run: fn(&Resources) -> CheckFuture,
}

/// One health check: a name, a timeout, the probes that run it, whether it is critical,
/// its tags, and the code that runs it.
///
/// `#[health_check]` builds these from annotated functions; the builder API builds them
/// from closures:
///
/// ```
/// use std::time::Duration;
/// use health_runtime::{Check, Probe};
///
/// let disk = Check::new("disk", || async { std::fs::metadata("/").map(|_| ()) })
///     .timeout(Duration::from_millis(500))
///     .probes([Probe::Readiness, Probe::Liveness])
///     .critical(false)
///     .tags(["local"]);
/// assert_eq!(disk.name(), "disk");
/// assert_eq!(disk.timeout_duration(), Duration::from_millis(500));
/// assert!(disk.probe_set().contains(Probe::Liveness));
/// ```
#[derive(Clone)]
pub struct Check {
    name: Cow<'static, str>,
    timeout: Duration,
    probes: ProbeSet,
    critical: bool,
    tags: Vec<Cow<'static, str>>,
    source: Cow<'static, str>,
    run: Runner,
}

impl Check {
    /// A readiness check named `name` that runs `check` under the default 1 s timeout.
    ///
    /// `check` returns any [`IntoCheckOutcome`] type: `()`, `bool`, `Result<T, E>` or
    /// [`CheckOutcome`].
    #[track_caller]
    pub fn new<F, Fut>(name: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoCheckOutcome,
    {
        Self::from_fn(name, move |_| {
            let run = check();
            Box::pin(async move { run.await.into_check_outcome() })
        })
    }

    /// A check of the resource of type `T` provided through
    /// [`Health::provide`](crate::Health::provide). While no `T` is provided the check
    /// reports `"<T> not initialised"` without calling `check`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use health_runtime::Check;
    ///
    /// struct Queue { depth: usize }
    ///
    /// let queue = Check::with_resource("queue", |queue: Arc<Queue>| async move {
    ///     queue.depth < 1000
    /// });
    /// # let _ = queue;
    /// ```
    #[track_caller]
    pub fn with_resource<T, F, Fut>(name: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        T: Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoCheckOutcome,
    {
        let type_name: Arc<str> = short_type_name::<T>().into();
        Self::from_fn(name, move |resources| {
            let mut lookup = ResourceLookup::new();
            match lookup.require::<T>(resources, type_name.to_string()) {
                Some(resource) => {
                    let run = check(resource);
                    Box::pin(async move { run.await.into_check_outcome() })
                }
                None => {
                    let outcome = lookup.not_initialised();
                    Box::pin(async move { outcome })
                }
            }
        })
    }

    /// The most general form: `run` receives the [`Resources`] and returns the boxed
    /// future of one run.
    #[track_caller]
    pub fn from_fn<F>(name: impl Into<Cow<'static, str>>, run: F) -> Self
    where
        F: Fn(&Resources) -> CheckFuture + Send + Sync + 'static,
    {
        let caller = std::panic::Location::caller();
        Check {
            name: name.into(),
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            probes: ProbeSet::READINESS,
            critical: true,
            tags: Vec::new(),
            source: format!("{}:{}", caller.file(), caller.line()).into(),
            run: Runner::Dynamic(Arc::new(run)),
        }
    }

    /// The check registered by `#[health_check]`.
    pub fn from_static(check: &'static StaticCheck) -> Self {
        Check {
            name: Cow::Borrowed(check.name),
            timeout: Duration::from_millis(check.timeout_ms),
            probes: check.probes,
            critical: check.critical,
            tags: check.tags.iter().map(|t| Cow::Borrowed(*t)).collect(),
            source: Cow::Borrowed(check.source),
            run: Runner::Static(check.run),
        }
    }

    /// Sets the timeout (default 1 s, at most 240 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the probes that run this check (default: readiness).
    #[must_use]
    pub fn probes(mut self, probes: impl Into<ProbeSet>) -> Self {
        self.probes = probes.into();
        self
    }

    /// A non-critical check that fails makes the report `degraded` (still 200), never 503.
    #[must_use]
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Sets the tags used to select checks per endpoint.
    #[must_use]
    pub fn tags<I, T>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Cow<'static, str>>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// The check's name, its key in the report.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long one run may take before it is reported as a timeout.
    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    /// The probes that run this check.
    pub fn probe_set(&self) -> ProbeSet {
        self.probes
    }

    /// Whether a failure of this check fails the probe (`true`) or only degrades it.
    pub fn is_critical(&self) -> bool {
        self.critical
    }

    /// The check's tags.
    pub fn tag_list(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(|t| t.as_ref())
    }

    /// Whether the check carries at least one of `tags`.
    pub(crate) fn has_any_tag(&self, tags: &[impl AsRef<str>]) -> bool {
        self.tag_list()
            .any(|tag| tags.iter().any(|wanted| wanted.as_ref() == tag))
    }

    /// Where the check was defined (`file:line`), for error messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Starts one run of the check (without its timeout; the runner applies it).
    pub fn start(&self, resources: &Resources) -> CheckFuture {
        match &self.run {
            Runner::Static(run) => run(resources),
            Runner::Dynamic(run) => run(resources),
        }
    }

    pub(crate) fn runs_in(&self, probe: Probe) -> bool {
        self.probes.contains(probe)
    }

    /// Checks the rules of `#[health_check]` that the compiler cannot check for checks
    /// built at run time: the name, the tags and the timeout.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_name(&self.name).map_err(|reason| ConfigError::InvalidName {
            name: self.name.to_string(),
            reason,
        })?;
        for tag in &self.tags {
            validate_name(tag).map_err(|reason| ConfigError::InvalidTag {
                check: self.name.to_string(),
                tag: tag.to_string(),
                reason,
            })?;
        }
        let ms = self.timeout.as_millis();
        if ms == 0 || ms > u128::from(MAX_TIMEOUT_MS) {
            return Err(ConfigError::InvalidTimeout {
                check: self.name.to_string(),
                timeout: self.timeout,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field("probes", &self.probes)
            .field("critical", &self.critical)
            .field("tags", &self.tags)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The rule for check names and tags: 1–63 characters of `[a-z0-9_.-]`, starting with a
/// letter or digit. Returns why a string breaks it.
///
/// ```
/// use health_runtime::validate_name;
///
/// assert!(validate_name("redis-cache.v2").is_ok());
/// assert!(validate_name("Redis").is_err());
/// assert!(validate_name("_private").is_err());
/// ```
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return Err("it is longer than 63 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err("only lowercase letters, digits, `_`, `.` and `-` are allowed");
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return Err("it must start with a letter or a digit");
    }
    Ok(())
}
