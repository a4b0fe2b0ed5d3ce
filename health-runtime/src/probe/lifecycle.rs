//! The states of a service that gate its probes whatever the checks say: shutdown, and
//! the termination signals (SIGTERM, SIGINT) that begin it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::watch;
use tokio::time::Instant;

/// Whether shutdown began. Readiness answers `shutting_down` from the moment it does,
/// while liveness keeps answering.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    shutdown: watch::Sender<bool>,
    began_at: OnceLock<Instant>,
    /// The termination signals received since [`Lifecycle::listen`] first ran: one count
    /// that every listener (`serve`, `shutdown_signal`) reads, so that the signal which
    /// began the shutdown is never taken by one of them for a second one.
    signals: Arc<watch::Sender<u32>>,
    listening: AtomicBool,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            shutdown: watch::channel(false).0,
            began_at: OnceLock::new(),
            signals: Arc::new(watch::channel(0).0),
            listening: AtomicBool::new(false),
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

    /// Starts counting SIGTERM and SIGINT, once, when called inside a tokio runtime (the
    /// listeners are registered before this returns, so no later signal is lost).
    pub(crate) fn listen(&self) {
        if tokio::runtime::Handle::try_current().is_err()
            || self.listening.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let mut signals = Signals::new();
        let count = Arc::downgrade(&self.signals);
        tokio::spawn(async move {
            loop {
                signals.next().await;
                let Some(count) = count.upgrade() else { return };
                count.send_modify(|received| *received = received.saturating_add(1));
            }
        });
    }

    /// The termination signals received so far.
    pub(crate) fn signals_received(&self) -> u32 {
        *self.signals.borrow()
    }

    /// Resolves once `count` termination signals were received in all.
    pub(crate) async fn signalled(&self, count: u32) {
        let mut received = self.signals.subscribe();
        let _ = received.wait_for(|received| *received >= count).await;
    }

    /// Resolves once shutdown began.
    pub(crate) async fn shutdown_began(&self) {
        let mut begun = self.shutdown.subscribe();
        let _ = begun.wait_for(|shutting_down| *shutting_down).await;
    }
}

/// SIGTERM and SIGINT (ctrl-c elsewhere), listened to from when this is made.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for {name}");
                    None
                }
            };
            Signals {
                term: listen(SignalKind::terminate(), "SIGTERM"),
                int: listen(SignalKind::interrupt(), "SIGINT"),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next SIGTERM or SIGINT.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn one(signal: &mut Option<tokio::signal::unix::Signal>) {
                if let Some(signal) = signal
                    && signal.recv().await.is_some()
                {
                    return;
                }
                std::future::pending().await
            }
            tokio::select! {
                () = one(&mut self.term) => {}
                () = one(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
