//! Shutdown beacons: work that holds the process up after a termination signal until it
//! finishes, or until the shutdown bound ends the wait.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

/// The beacons held now, by id, with the names they were held under.
#[derive(Debug)]
pub(crate) struct Beacons {
    held: Mutex<BTreeMap<u64, String>>,
    next: AtomicU64,
    /// How many are held; changes as guards come and go.
    count: watch::Sender<usize>,
}

impl Default for Beacons {
    fn default() -> Self {
        Beacons {
            held: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(0),
            count: watch::channel(0).0,
        }
    }
}

impl Beacons {
    fn table(&self) -> MutexGuard<'_, BTreeMap<u64, String>> {
        self.held
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Holds a beacon named `name` until the guard is dropped.
    pub(crate) fn hold(self: &Arc<Self>, name: String) -> ShutdownGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut table = self.table();
        table.insert(id, name);
        self.count.send_replace(table.len());
        ShutdownGuard {
            beacons: Arc::clone(self),
            id,
        }
    }

    fn release(&self, id: u64) {
        let mut table = self.table();
        table.remove(&id);
        self.count.send_replace(table.len());
    }

    /// The names of the beacons held now, oldest first.
    pub(crate) fn held(&self) -> Vec<String> {
        self.table().values().cloned().collect()
    }

    /// Resolves once no beacon is held.
    pub(crate) async fn released(&self) {
        let mut count = self.count.subscribe();
        let _ = count.wait_for(|held| *held == 0).await;
    }
}

/// Holds shutdown while it lives: after a termination signal, `health_runtime::serve`
/// keeps the process up (readiness answering 503 `shutting_down`) until every guard is
/// dropped or its shutdown bound expires; the guards still held then are named in a
/// warning log. Returned by `Health::hold_shutdown`.
///
/// ```
/// let health = health_runtime::Health::new();
/// let guard = health.hold_shutdown("reindex");
/// assert_eq!(health.shutdown_held(), ["reindex"]);
/// drop(guard);
/// assert!(health.shutdown_held().is_empty());
/// ```
#[must_use = "shutdown is held only while the guard lives"]
pub struct ShutdownGuard {
    beacons: Arc<Beacons>,
    id: u64,
}

impl std::fmt::Debug for ShutdownGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.beacons.table().get(&self.id).cloned();
        f.debug_struct("ShutdownGuard")
            .field("name", &name)
            .finish()
    }
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        self.beacons.release(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn released_waits_for_every_guard() {
        let beacons = Arc::new(Beacons::default());
        let first = beacons.hold("reindex".into());
        let second = beacons.hold("upload".into());
        assert_eq!(beacons.held(), ["reindex", "upload"]);
        drop(first);
        assert_eq!(beacons.held(), ["upload"]);
        let waiting = tokio::spawn({
            let beacons = Arc::clone(&beacons);
            async move { beacons.released().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(second);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("released once every guard is dropped")
            .unwrap();
    }
}
