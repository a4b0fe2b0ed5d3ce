//! The history of every check of one handle, each made the first time a runner of it
//! records.

use std::sync::{Arc, Mutex};

use super::check::CheckHistory;

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

    /// How many results each check keeps.
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
