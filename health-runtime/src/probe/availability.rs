//! What the application says about itself, whatever its checks say: out of rotation
//! (maintenance, its own circuit breaker open) and broken (a state only a restart cures,
//! Spring's `LivenessState.BROKEN`). Readiness, and every readiness-like route and gRPC
//! service, answers `unavailable` while the first holds; liveness answers `broken` once the
//! second does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::watch;

use crate::redact::{Secrets, public_error};

/// The application's own word on its availability.
#[derive(Debug)]
pub(crate) struct Availability {
    /// The reason readiness is refused, while it is.
    unavailable: watch::Sender<Option<Arc<str>>>,
    /// The reason liveness fails, once the application found itself broken.
    broken: watch::Sender<Option<Arc<str>>>,
    /// How many times either state changed: a report rendered under one count is stale
    /// under another.
    changes: AtomicU64,
    /// Whether each state holds, read without a lock by every request.
    is_unavailable: AtomicBool,
    is_broken: AtomicBool,
}

impl Default for Availability {
    fn default() -> Self {
        Availability {
            unavailable: watch::channel(None).0,
            broken: watch::channel(None).0,
            changes: AtomicU64::new(0),
            is_unavailable: AtomicBool::new(false),
            is_broken: AtomicBool::new(false),
        }
    }
}

impl Availability {
    /// Takes the instance out of readiness with `reason`; logs a change.
    pub(crate) fn set_unavailable(&self, reason: &str, secrets: &Secrets) {
        let reason: Arc<str> = public_error(reason.trim(), secrets).into();
        if self.replace(
            &self.unavailable,
            &self.is_unavailable,
            Some(Arc::clone(&reason)),
        ) {
            tracing::warn!(%reason, "set unavailable; readiness now reports unavailable");
        }
    }

    /// Puts the instance back into readiness (its checks decide again); logs a change.
    pub(crate) fn set_available(&self) {
        if self.replace(&self.unavailable, &self.is_unavailable, None) {
            tracing::info!("set available; readiness reports its checks again");
        }
    }

    /// Fails liveness with `reason`, for good; logs a change.
    pub(crate) fn mark_broken(&self, reason: &str, secrets: &Secrets) {
        let reason: Arc<str> = public_error(reason.trim(), secrets).into();
        if self.replace(&self.broken, &self.is_broken, Some(Arc::clone(&reason))) {
            tracing::error!(%reason, "marked broken; liveness now reports broken");
        }
    }

    /// Why readiness is refused, while it is.
    pub(crate) fn unavailable(&self) -> Option<Arc<str>> {
        self.unavailable.borrow().clone()
    }

    /// Whether readiness is refused (without cloning the reason).
    pub(crate) fn is_unavailable(&self) -> bool {
        self.is_unavailable.load(Ordering::Acquire)
    }

    /// How many times the application changed either state so far.
    pub(crate) fn changes_so_far(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Sets `state` to `value` and `holds` to whether it is set, under the state's lock;
    /// whether it changed (and then counts the change, under the same lock).
    fn replace(
        &self,
        state: &watch::Sender<Option<Arc<str>>>,
        holds: &AtomicBool,
        value: Option<Arc<str>>,
    ) -> bool {
        state.send_if_modified(|current| {
            holds.store(value.is_some(), Ordering::Release);
            if *current == value {
                return false;
            }
            *current = value;
            self.changes.fetch_add(1, Ordering::AcqRel);
            true
        })
    }

    /// Whether the application marked itself broken (without cloning the reason: the
    /// constant answer of liveness asks on every request).
    pub(crate) fn is_broken(&self) -> bool {
        self.is_broken.load(Ordering::Acquire)
    }

    /// Why liveness fails, once the application marked itself broken.
    pub(crate) fn broken(&self) -> Option<Arc<str>> {
        self.broken.borrow().clone()
    }

    /// The changes of either state from now on.
    #[cfg(feature = "grpc")]
    pub(crate) fn changes(&self) -> Changes {
        Changes {
            unavailable: self.unavailable.subscribe(),
            broken: self.broken.subscribe(),
        }
    }
}

/// The changes of the application's availability, from when it was subscribed.
#[cfg(feature = "grpc")]
pub(crate) struct Changes {
    unavailable: watch::Receiver<Option<Arc<str>>>,
    broken: watch::Receiver<Option<Arc<str>>>,
}

#[cfg(feature = "grpc")]
impl Changes {
    /// Resolves at the next change not yet seen.
    pub(crate) async fn next(&mut self) {
        let changed = tokio::select! {
            changed = self.unavailable.changed() => changed,
            changed = self.broken.changed() => changed,
        };
        if changed.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_change_and_reasons_are_capped() {
        let availability = Availability::default();
        let secrets = Secrets::default();
        assert_eq!(availability.unavailable(), None);
        availability.set_unavailable(" maintenance ", &secrets);
        assert_eq!(availability.unavailable().as_deref(), Some("maintenance"));
        availability.set_available();
        assert_eq!(availability.unavailable(), None);
        assert_eq!(availability.broken(), None);
        availability.mark_broken(&"x".repeat(100_000), &secrets);
        let broken = availability.broken().unwrap();
        assert!(broken.len() < 2000, "{}", broken.len());
    }

    #[test]
    fn reasons_are_redacted() {
        let availability = Availability::default();
        let secrets = Secrets::default();
        secrets.add("k3y-0f-the-app");
        availability.set_unavailable(
            "failover to postgres://app:hunter2@replica, key k3y-0f-the-app",
            &secrets,
        );
        let reason = availability.unavailable().unwrap();
        assert!(!reason.contains("hunter2"), "{reason}");
        assert!(!reason.contains("k3y-0f-the-app"), "{reason}");
        assert!(reason.contains("failover to postgres://app:"), "{reason}");
    }
}
