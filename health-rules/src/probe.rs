//! The three probes an orchestrator sends and sets of them, and what a check is when its
//! attribute says nothing. Checks name the probes they run in and the macros check those
//! names, so the probes are defined here, with the rules both follow; `health-runtime`'s
//! probe layer gives them their meaning (`health_runtime::probe`).

use std::fmt;
use std::str::FromStr;

/// The probes a check can run in, as `#[health_check(probe = "...")]` spells them.
pub const PROBES: [&str; 3] = ["liveness", "readiness", "startup"];

/// The probe of a check that names none: readiness, so that a failing dependency takes the
/// instance out of rotation instead of restarting it.
pub const DEFAULT_PROBE: &str = "readiness";

/// Whether a check that does not say is critical: a failing critical check fails its
/// probe; a non-critical one only degrades the report.
pub const DEFAULT_CRITICAL: bool = true;

/// Whether the probe serves each of its checks at `{path}/{name}` as well as all of them at
/// `{path}`: readiness and startup do, liveness does not.
///
/// ```
/// assert!(health_rules::has_single_check_routes("readiness"));
/// assert!(!health_rules::has_single_check_routes("liveness"));
/// ```
pub fn has_single_check_routes(probe: &str) -> bool {
    matches!(probe, "readiness" | "startup")
}

/// One of the three probes an orchestrator sends.
///
/// ```
/// use health_rules::Probe;
///
/// assert_eq!("startup".parse::<Probe>().unwrap(), Probe::Startup);
/// assert_eq!(Probe::Readiness.as_str(), "readiness");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// "Is the process alive?" A failure restarts the container, so by default no
    /// dependency check runs here.
    Liveness,
    /// "Can this instance take traffic?" A failure takes it out of load balancing.
    Readiness,
    /// "Has initialisation finished?" Gates the other two; latches once passed.
    Startup,
}

impl Probe {
    /// Every probe, in the order the orchestrator cares about them.
    ///
    /// ```
    /// use health_rules::Probe;
    ///
    /// let names: Vec<_> = Probe::ALL.iter().map(|p| p.as_str()).collect();
    /// assert_eq!(names, ["startup", "liveness", "readiness"]);
    /// ```
    pub const ALL: [Probe; 3] = [Probe::Startup, Probe::Liveness, Probe::Readiness];

    /// The name used in `#[health_check(probe = "...")]`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Probe::Liveness => "liveness",
            Probe::Readiness => "readiness",
            Probe::Startup => "startup",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Probe::Liveness => 1,
            Probe::Readiness => 2,
            Probe::Startup => 4,
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Probe`] from a string.
///
/// ```
/// use health_rules::{Probe, UnknownProbe};
///
/// let error: UnknownProbe = "ready".parse::<Probe>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "no such probe `ready`; the probes are `liveness`, `readiness` and `startup`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProbe(pub String);

impl fmt::Display for UnknownProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no such probe `{}`; the probes are `liveness`, `readiness` and `startup`",
            self.0
        )
    }
}

impl std::error::Error for UnknownProbe {}

impl FromStr for Probe {
    type Err = UnknownProbe;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "liveness" => Ok(Probe::Liveness),
            "readiness" => Ok(Probe::Readiness),
            "startup" => Ok(Probe::Startup),
            other => Err(UnknownProbe(other.to_owned())),
        }
    }
}

/// A set of probes a check takes part in.
///
/// ```
/// use health_rules::{Probe, ProbeSet};
///
/// let set = ProbeSet::from_iter([Probe::Startup, Probe::Readiness]);
/// assert!(set.contains(Probe::Startup));
/// assert!(!set.contains(Probe::Liveness));
/// assert_eq!(set.iter().collect::<Vec<_>>(), [Probe::Startup, Probe::Readiness]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProbeSet(u8);

impl ProbeSet {
    /// No probe at all.
    pub const EMPTY: ProbeSet = ProbeSet(0);
    /// The default of a check: readiness only.
    pub const READINESS: ProbeSet = ProbeSet(Probe::Readiness.bit());

    /// A set of the given probes (usable in `const` context).
    ///
    /// ```
    /// use health_rules::{Probe, ProbeSet};
    ///
    /// const GATES: ProbeSet = ProbeSet::of(&[Probe::Startup, Probe::Readiness]);
    /// assert!(GATES.contains(Probe::Startup));
    /// assert!(!ProbeSet::EMPTY.with(Probe::Liveness).is_empty());
    /// assert_eq!(ProbeSet::READINESS, ProbeSet::from(Probe::Readiness));
    /// ```
    pub const fn of(probes: &[Probe]) -> ProbeSet {
        let mut bits = 0;
        let mut i = 0;
        while i < probes.len() {
            bits |= probes[i].bit();
            i += 1;
        }
        ProbeSet(bits)
    }

    /// Whether `probe` is in the set.
    pub const fn contains(self, probe: Probe) -> bool {
        self.0 & probe.bit() != 0
    }

    /// The set with `probe` added.
    #[must_use]
    pub const fn with(self, probe: Probe) -> ProbeSet {
        ProbeSet(self.0 | probe.bit())
    }

    /// Whether the set holds no probe: a check that no probe would run.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The probes in the set, in [`Probe::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Probe> {
        Probe::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Probe> for ProbeSet {
    fn from_iter<I: IntoIterator<Item = Probe>>(iter: I) -> Self {
        iter.into_iter().fold(ProbeSet::EMPTY, ProbeSet::with)
    }
}

impl From<Probe> for ProbeSet {
    fn from(probe: Probe) -> Self {
        ProbeSet::EMPTY.with(probe)
    }
}

impl<const N: usize> From<[Probe; N]> for ProbeSet {
    fn from(probes: [Probe; N]) -> Self {
        probes.into_iter().collect()
    }
}
