//! What operators look back on: for each check, its last results (bounded), its
//! transitions with their time and error, and its uptime over that window.
//!
//! Every run of a check is recorded where the run ends (once per run, not per request: a
//! cached or shared result is not recorded again), as one push into a ring allocated up
//! front, so recording allocates nothing. Errors are the reports' own, redacted before they
//! get here. [`HealthBuilder::history`](crate::HealthBuilder::history) sets how many
//! results each check keeps (default [`DEFAULT_CAPACITY`]); the routers serve the whole
//! history as JSON at `/health/history`, under the same
//! [`DetailsPolicy`](crate::DetailsPolicy) as the reports.
//!
//! ```
//! use health_runtime::{Check, CheckStatus, Health};
//! use health_runtime::check::Resources;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let health = Health::builder()
//!     .without_registered()
//!     .check(Check::new("disk", || async { true }))
//!     .history(64)
//!     .build()
//!     .unwrap();
//! let app: axum::Router = health.router(); // runs checks as probes arrive
//! # let _ = app;
//! let history = health.history().expect("history is on");
//! assert_eq!(history.capacity(), 64);
//! let disk = history.check("disk").unwrap();
//! assert!(disk.entries().is_empty()); // nothing ran yet
//! assert_eq!(disk.uptime(), None);
//! # }
//! ```

mod check;
mod json;
mod ring;

pub use check::{CheckHistory, Entry, RanBy, Transition};
pub(crate) use json::Timestamp;
#[cfg(feature = "ui")]
pub(crate) use json::milliseconds;

use std::sync::{Arc, Mutex};

/// How many results each check keeps by default: at a 10 s probe period, about 40 minutes.
pub const DEFAULT_CAPACITY: usize = 256;

/// The history of every check of one [`Health`](crate::Health), reached through
/// [`Health::history`](crate::Health::history). Cheap to clone.
#[derive(Clone)]
pub struct History {
    inner: Arc<Registry>,
}

struct Registry {
    capacity: usize,
    /// Ordered by name.
    checks: Mutex<Vec<Arc<CheckHistory>>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("capacity", &self.inner.capacity)
            .field("checks", &self.lock().len())
            .finish()
    }
}

impl History {
    /// A history keeping `capacity` results per check; `None` for 0 (history off).
    pub(crate) fn new(capacity: usize) -> Option<History> {
        (capacity > 0).then(|| History {
            inner: Arc::new(Registry {
                capacity,
                checks: Mutex::new(Vec::new()),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<CheckHistory>>> {
        self.inner
            .checks
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The record of the check named `name`, made (with its rings allocated) the first
    /// time: every runner of one check records into the same one.
    pub(crate) fn track(&self, name: &Arc<str>) -> Arc<CheckHistory> {
        let mut checks = self.lock();
        match checks.binary_search_by(|check| check.name().cmp(name)) {
            Ok(index) => Arc::clone(&checks[index]),
            Err(index) => {
                let check = Arc::new(CheckHistory::new(Arc::clone(name), self.inner.capacity));
                checks.insert(index, Arc::clone(&check));
                check
            }
        }
    }

    /// How many results each check keeps (and how many transitions).
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Every check's history, ordered by name.
    pub fn checks(&self) -> Vec<Arc<CheckHistory>> {
        self.lock().clone()
    }

    /// The history of the check named `name`.
    pub fn check(&self, name: &str) -> Option<Arc<CheckHistory>> {
        let checks = self.lock();
        checks
            .binary_search_by(|check| check.name().cmp(name))
            .ok()
            .map(|index| Arc::clone(&checks[index]))
    }
}
