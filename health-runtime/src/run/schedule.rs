//! When a check runs again: its background period and initial delay, and the spread that
//! keeps a fleet of replicas from running it at the same instants — a phase derived from
//! the replica's identity, jitter drawn anew for every delay, backoff while it fails, and
//! the same phase and jitter on the first expiry of cached results.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Jitter by default: each delay and TTL drawn within 10 % of its nominal value.
pub(crate) const DEFAULT_JITTER: f64 = 0.1;
/// The largest jitter accepted: beyond half the period, consecutive runs could overlap.
pub(crate) const MAX_JITTER: f64 = 0.5;
/// A failing check's delay stops doubling at this many periods, by default.
const DEFAULT_BACKOFF_PERIODS: u32 = 4;

/// How one check's runs are spread over time, on this replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    /// Where in its period (or TTL) the check's schedule starts, in `[0, 1)`: derived from
    /// the replica's identity and the check's name, 0 without an identity.
    pub(crate) phase: f64,
    /// The fraction of each delay (or TTL) drawn at random.
    pub(crate) jitter: f64,
    /// The longest delay of a failing check's backoff: `None` is four periods,
    /// `Some(ZERO)` turns backoff off.
    pub(crate) max_backoff: Option<Duration>,
}

impl Spread {
    /// No spread: every replica runs on the same instants, as a plain interval does.
    pub(crate) const NONE: Spread = Spread {
        phase: 0.0,
        jitter: 0.0,
        max_backoff: Some(Duration::ZERO),
    };

    /// How long the result of a run is served again under a TTL of `ttl`. The check's
    /// first result is served for the TTL less the replica's phase of it and less a
    /// jitter drawn for it, so that replicas that started together expire at different
    /// instants; every later result for the whole TTL, which keeps them apart (each
    /// replica's expiries stay where its first one put them) and keeps the promise of at
    /// most one run per TTL. No result is ever served past its TTL.
    pub(crate) fn ttl(&self, ttl: Duration, first: bool, random: &mut Random) -> Duration {
        if !first {
            return ttl;
        }
        ttl.mul_f64((1.0 - self.phase) * (1.0 - self.jitter * random.unit()))
    }
}

/// A background check's schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    pub(crate) period: Duration,
    pub(crate) initial_delay: Duration,
    pub(crate) spread: Spread,
}

impl Schedule {
    /// Until the first run: the initial delay, then the check's phase of its period.
    pub(crate) fn first_delay(&self) -> Duration {
        self.initial_delay + self.period.mul_f64(self.spread.phase)
    }

    /// From one run's start to the next, after `failures` consecutive failed runs: the
    /// period, doubled for each failure after the first up to the backoff's cap, with
    /// `± jitter` of it drawn anew.
    pub(crate) fn next_delay(&self, failures: u32, random: &mut Random) -> Duration {
        let mut delay = self.period;
        let cap = self
            .spread
            .max_backoff
            .unwrap_or(self.period * DEFAULT_BACKOFF_PERIODS);
        if failures > 1 && cap > self.period {
            let doubled = self
                .period
                .saturating_mul(1 << (failures - 1).min(16))
                .min(cap);
            delay = doubled;
        }
        delay.mul_f64(1.0 + self.spread.jitter * (2.0 * random.unit() - 1.0))
    }
}

/// The phase of check `name` on the replica called `identity`, in `[0, 1)`; 0 for an
/// empty identity.
///
/// An identity that ends in a number (a StatefulSet's `web-7`, a test's `pod-7`) is split
/// there: the rest is hashed with the check's name, and the ordinal adds multiples of the
/// golden ratio, so that consecutive ordinals land evenly over the period however many
/// there are. Any other identity (a Deployment's `api-7d9f8c6b5-x2k4q`) is hashed whole.
/// The hash is FNV-1a, fixed across versions and platforms: a replica keeps its phase
/// across restarts and upgrades.
pub(crate) fn phase(identity: &str, name: &str) -> f64 {
    if identity.is_empty() {
        return 0.0;
    }
    let digits = identity.len()
        - identity
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
    let (stem, ordinal) = identity.split_at(identity.len() - digits);
    let ordinal: u64 = if digits > 0 && digits <= 18 {
        ordinal.parse().unwrap_or(0)
    } else {
        0
    };
    let mut hash = Fnv::default();
    hash.bytes(stem.as_bytes());
    hash.bytes(&[0]);
    hash.bytes(name.as_bytes());
    let base = unit_of(mix(hash.0));
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    (base + (ordinal as f64 * GOLDEN).fract()).fract()
}

/// The identity of this replica from its environment: `HOSTNAME` (a Kubernetes pod's
/// name), else `CONTAINER_APP_REPLICA_NAME` (Azure Container Apps), else none.
pub(crate) fn identity_from_env() -> String {
    ["HOSTNAME", "CONTAINER_APP_REPLICA_NAME"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default()
}

#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// SplitMix64's finalizer: spreads FNV's weak low bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit_of(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The random draws of one check's jitter: SplitMix64, seeded per process and check, so
/// that replicas without an identity still draw apart.
#[derive(Debug, Clone)]
pub(crate) struct Random(u64);

impl Random {
    pub(crate) fn seeded(name: &str) -> Random {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(name.as_bytes());
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos()),
        );
        hasher.write_u32(std::process::id());
        Random(hasher.finish())
    }

    /// A draw in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        unit_of(mix(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_is_fixed_by_the_identity_and_spread_by_the_ordinal() {
        assert_eq!(phase("", "db"), 0.0);
        assert_eq!(phase("pod-7", "db"), phase("pod-7", "db"));
        assert_ne!(phase("pod-7", "db"), phase("pod-7", "cache"));
        let mut phases: Vec<f64> = (0..50).map(|n| phase(&format!("pod-{n}"), "db")).collect();
        phases.sort_by(f64::total_cmp);
        // 50 ordinals over the period: no gap much wider than 1/50.
        let widest = phases
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .fold(1.0 - phases[49] + phases[0], f64::max);
        assert!(widest < 0.04, "widest gap {widest}");
    }

    #[test]
    fn delays_are_jittered_and_back_off_while_failing() {
        let schedule = Schedule {
            period: Duration::from_secs(10),
            initial_delay: Duration::from_secs(1),
            spread: Spread {
                phase: 0.5,
                jitter: 0.1,
                max_backoff: None,
            },
        };
        assert_eq!(schedule.first_delay(), Duration::from_secs(6));
        let mut random = Random::seeded("db");
        let delays: Vec<Duration> = (0..100)
            .map(|_| schedule.next_delay(0, &mut random))
            .collect();
        assert!(
            delays
                .iter()
                .all(|d| (9.0..=11.0).contains(&d.as_secs_f64()))
        );
        assert!(delays.iter().any(|d| *d != delays[0]));
        let backed_off = schedule.next_delay(3, &mut random).as_secs_f64();
        assert!((36.0..=44.0).contains(&backed_off), "{backed_off}");
        let capped = schedule.next_delay(30, &mut random).as_secs_f64();
        assert!((36.0..=44.0).contains(&capped), "{capped}");
        let lockstep = Schedule {
            spread: Spread::NONE,
            ..schedule
        };
        assert_eq!(lockstep.next_delay(5, &mut random), Duration::from_secs(10));
    }

    #[test]
    fn a_ttl_is_never_served_past_itself() {
        let spread = Spread {
            phase: 0.25,
            jitter: 0.1,
            max_backoff: None,
        };
        let mut random = Random::seeded("db");
        let ttl = Duration::from_secs(1);
        for _ in 0..100 {
            assert_eq!(spread.ttl(ttl, false, &mut random), ttl);
            let first = spread.ttl(ttl, true, &mut random);
            assert!(
                first <= ttl.mul_f64(0.75) && first >= ttl.mul_f64(0.75 * 0.9),
                "{first:?}"
            );
        }
    }
}
