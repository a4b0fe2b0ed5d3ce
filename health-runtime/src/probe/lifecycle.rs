//! The states of a service that gate its probes whatever the checks say: shutdown.

use std::sync::OnceLock;

use tokio::sync::watch;
use tokio::time::Instant;

/// Whether shutdown began. Readiness answers `shutting_down` from the moment it does,
/// while liveness keeps answering.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    shutdown: watch::Sender<bool>,
    began_at: OnceLock<Instant>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            shutdown: watch::channel(false).0,
            began_at: OnceLock::new(),
        }
    }
}

impl Lifecycle {
    /// Begins shutdown; `true` the first time.
    pub(crate) fn begin_shutdown(&self) -> bool {
        self.began_at.get_or_init(Instant::now);
        !self.shutdown.send_replace(true)
    }

    /// When shutdown began, if it did.
    #[cfg(feature = "grpc")]
    pub(crate) fn began_at(&self) -> Option<Instant> {
        self.began_at.get().copied()
    }

    /// Whether shutdown began: a load, no lock (every readiness request asks).
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.began_at.get().is_some()
    }

    /// Resolves once shutdown began.
    pub(crate) async fn shutdown_began(&self) {
        let mut begun = self.shutdown.subscribe();
        let _ = begun.wait_for(|shutting_down| *shutting_down).await;
    }
}
