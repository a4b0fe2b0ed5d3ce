//! The check descriptor and its builder: what a check is called, how long it may take,
//! which probes run it, and the code of one run.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use health_rules::{
    DEFAULT_CRITICAL, DEFAULT_TIMEOUT_MS, validate_name, validate_threshold, validate_timeout_ms,
};

use super::outcome::{CheckFuture, IntoCheckOutcome};
use super::registry::{HEALTH_CHECKS, StaticCheck};
use super::resources::{ResourceLookup, Resources, short_type_name};
use crate::error::ConfigError;
use health_rules::{Probe, ProbeSet};

type DynRun = dyn Fn(&Resources) -> CheckFuture + Send + Sync;

/// The code of one run: a plain function for `#[health_check]`, a closure for the builder.
#[derive(Clone)]
enum RunFn {
    Static(fn(&Resources) -> CheckFuture),
    Dynamic(Arc<DynRun>),
}

/// One health check: a name, a timeout, the probes that run it, whether it is critical,
/// its tags, and the code that runs it.
///
/// `#[health_check]` builds these from annotated functions; without macros they are built
/// from closures and added with [`HealthBuilder::check`](crate::HealthBuilder::check):
///
/// ```
/// use std::time::Duration;
/// use health_runtime::{Check, Health, Probe};
///
/// let disk = Check::new("disk", || async { std::fs::metadata("/").map(|_| ()) })
///     .timeout(Duration::from_millis(500))
///     .probes([Probe::Readiness, Probe::Liveness])
///     .critical(false)
///     .tags(["local"]);
/// assert_eq!(disk.name(), "disk");
/// let health = Health::builder().check(disk).build().unwrap();
/// # let _ = health;
/// ```
#[derive(Clone)]
pub struct Check {
    pub(crate) name: Cow<'static, str>,
    pub(crate) timeout: Duration,
    pub(crate) probes: ProbeSet,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) source: Cow<'static, str>,
    /// Secret values of the check's own configuration, scrubbed from every report.
    pub(crate) secrets: Vec<Arc<str>>,
    /// Consecutive failures before a healthy check counts as unhealthy.
    pub(crate) failures: u32,
    /// Consecutive successes before an unhealthy check counts as healthy again.
    pub(crate) successes: u32,
    /// Its own background period, overriding the builder's.
    pub(crate) background: Option<Duration>,
    /// Its own delay before its first background run, overriding the builder's.
    pub(crate) initial_delay: Option<Duration>,
    run: RunFn,
}

impl Check {
    /// A readiness check named `name` that runs `check` under the default 1 s timeout.
    ///
    /// `check` returns any [`IntoCheckOutcome`] type: `()`, `bool`, `Result<T, E>` or
    /// [`CheckOutcome`](crate::CheckOutcome).
    ///
    /// ```
    /// use health_runtime::Check;
    ///
    /// let queue = Check::new("queue", || async { Ok::<_, String>(()) });
    /// # let _ = queue;
    /// ```
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
    /// future of one run. A run that learns a secret (the password inside a client it
    /// found among the resources) registers it with `resources.secrets()`.
    ///
    /// ```
    /// use health_runtime::{Check, IntoCheckOutcome};
    ///
    /// struct Endpoint { key: String }
    ///
    /// let check = Check::from_fn("endpoint", |resources| {
    ///     let endpoint = resources.get::<Endpoint>();
    ///     if let Some(endpoint) = &endpoint {
    ///         resources.secrets().add(&endpoint.key);
    ///     }
    ///     Box::pin(async move { endpoint.is_some().into_check_outcome() })
    /// });
    /// # let _ = check;
    /// ```
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
            critical: DEFAULT_CRITICAL,
            tags: Vec::new(),
            source: format!("{}:{}", caller.file(), caller.line()).into(),
            secrets: Vec::new(),
            failures: health_rules::DEFAULT_THRESHOLD,
            successes: health_rules::DEFAULT_THRESHOLD,
            background: None,
            initial_delay: None,
            run: RunFn::Dynamic(Arc::new(run)),
        }
    }

    /// The check registered by `#[health_check]`.
    pub(crate) fn from_static(check: &'static StaticCheck) -> Self {
        Check {
            name: Cow::Borrowed(check.name),
            timeout: Duration::from_millis(check.timeout_ms),
            probes: check.probes,
            critical: check.critical,
            tags: check.tags.iter().map(|t| Cow::Borrowed(*t)).collect(),
            source: Cow::Borrowed(check.source),
            secrets: Vec::new(),
            failures: check.failures,
            successes: check.successes,
            background: None,
            initial_delay: None,
            run: RunFn::Static(check.run),
        }
    }

    /// Flap damping: the check counts as unhealthy only after `n` consecutive failed runs
    /// (1 ..= 100, default 1), so one lost packet does not take the instance out of
    /// rotation. Until then the report shows the check healthy, with the failed run's
    /// error and `consecutive_failures`. The first result of a check counts at once.
    ///
    /// ```
    /// use health_runtime::Check;
    ///
    /// let upstream = Check::new("upstream", || async { true }).failures(3).successes(2);
    /// # let _ = upstream;
    /// ```
    #[must_use]
    pub fn failures(mut self, n: u32) -> Self {
        self.failures = n;
        self
    }

    /// The check counts as healthy again only after `n` consecutive successful runs
    /// (1 ..= 100, default 1); until then it stays unhealthy, `recovering`.
    ///
    /// ```
    /// use health_runtime::Check;
    ///
    /// let upstream = Check::new("upstream", || async { true }).successes(2);
    /// # let _ = upstream;
    /// ```
    #[must_use]
    pub fn successes(mut self, n: u32) -> Self {
        self.successes = n;
        self
    }

    /// Refreshes this check in the background every `period` (give or take its jitter),
    /// whatever the handle's [`background`](crate::HealthBuilder::background) period, or
    /// when the handle has none: requests are served its latest result and never run it
    /// (until it has a first result). A zero period leaves it to the handle's setting.
    /// See [`HealthBuilder::background`](crate::HealthBuilder::background) for how the
    /// runs of a fleet are spread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::{Check, Health};
    ///
    /// // An expensive dependency checked every minute; the others per request.
    /// let ledger = Check::new("ledger", || async { true }).background(Duration::from_secs(60));
    /// let health = Health::builder().check(ledger).build().unwrap();
    /// # let _ = health;
    /// ```
    #[must_use]
    pub fn background(mut self, period: Duration) -> Self {
        self.background = Some(period).filter(|period| !period.is_zero());
        self
    }

    /// How long after the background refresh starts this check first runs (before its
    /// phase), overriding [`HealthBuilder::initial_delay`](crate::HealthBuilder::initial_delay):
    /// for a dependency that is not up yet when the service starts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::Check;
    ///
    /// let search = Check::new("search", || async { true })
    ///     .background(Duration::from_secs(30))
    ///     .initial_delay(Duration::from_secs(10));
    /// # let _ = search;
    /// ```
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = Some(delay);
        self
    }

    /// How long one run may take before it is reported as `Timeout after {N}ms`
    /// (default 1 s, at most 240 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The probes that run this check (default: readiness).
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

    /// Tags, to select checks per endpoint (`RouteOptions::tags`, `RouteOptions::group`).
    #[must_use]
    pub fn tags<I, T>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Cow<'static, str>>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// A secret of this check's own configuration (the password or key it was built with):
    /// that exact value, and its URL-encoded forms, never appear in a report or a log.
    ///
    /// ```
    /// use health_runtime::Check;
    ///
    /// let key = "k3y-0f-th3-api".to_owned();
    /// let api = Check::new("api", {
    ///     let key = key.clone();
    ///     move || {
    ///         let key = key.clone();
    ///         async move { Err::<(), _>(format!("rejected key {key}")) }
    ///     }
    /// })
    /// .secret(key);
    /// # let _ = api;
    /// ```
    #[must_use]
    pub fn secret(mut self, secret: impl AsRef<str>) -> Self {
        let secret = secret.as_ref();
        if !secret.is_empty() {
            self.secrets.push(Arc::from(secret));
        }
        self
    }

    /// The check's name, its key in the report.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the check was defined (`file:line`), as configuration errors name it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the check carries at least one of `tags`.
    pub(crate) fn has_any_tag(&self, tags: &[impl AsRef<str>]) -> bool {
        self.tags
            .iter()
            .any(|tag| tags.iter().any(|wanted| wanted.as_ref() == tag))
    }

    /// Starts one run of the check (without its timeout; the runner applies it).
    pub(crate) fn start(&self, resources: &Resources) -> CheckFuture {
        match &self.run {
            RunFn::Static(run) => run(resources),
            RunFn::Dynamic(run) => run(resources),
        }
    }

    pub(crate) fn runs_in(&self, probe: Probe) -> bool {
        self.probes.contains(probe)
    }

    /// The rules of `#[health_check]` that the compiler cannot check for checks built at
    /// run time: the name, the tags and the timeout.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
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
        validate_timeout_ms(self.timeout.as_millis()).map_err(|_| ConfigError::InvalidTimeout {
            check: self.name.to_string(),
            timeout: self.timeout,
        })?;
        for (setting, n) in [("failures", self.failures), ("successes", self.successes)] {
            validate_threshold(n.into()).map_err(|reason| ConfigError::InvalidThreshold {
                check: self.name.to_string(),
                setting,
                value: n,
                reason,
            })?;
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
            .field("background", &self.background)
            .field("initial_delay", &self.initial_delay)
            .finish_non_exhaustive()
    }
}

/// Every `#[health_check]` linked into the binary, as checks.
pub(crate) fn registered_checks() -> impl Iterator<Item = Check> {
    HEALTH_CHECKS.iter().map(Check::from_static)
}

/// Rejects two checks of the same name, naming both definitions.
pub(crate) fn ensure_unique<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
) -> Result<(), ConfigError> {
    let mut seen: HashMap<&str, &Check> = HashMap::new();
    for check in checks {
        if let Some(first) = seen.insert(check.name(), check) {
            return Err(ConfigError::DuplicateName {
                name: check.name().to_owned(),
                first: first.source().to_owned(),
                second: check.source().to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use health_rules::{DEFAULT_PROBE, PROBES};

    use health_rules::Probe;

    // The macros spell probes with the rules' names and the runtime parses them: the two
    // lists must be the same set.
    #[test]
    fn probe_names_are_the_rules_names() {
        let mut runtime: Vec<&str> = Probe::ALL.iter().map(|probe| probe.as_str()).collect();
        runtime.sort_unstable();
        assert_eq!(runtime, PROBES);
        assert_eq!(DEFAULT_PROBE.parse::<Probe>(), Ok(Probe::Readiness));
        for name in PROBES {
            assert_eq!(name.parse::<Probe>().map(Probe::as_str), Ok(name));
        }
    }
}
