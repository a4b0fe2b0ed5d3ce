//! TCP connect: the dependency accepts connections.
//!
//! Needs no client crate and no feature: `tokio/net` is already enabled by axum. Useful
//! for a dependency without a cheap request of its own (an SMTP relay, a broker) or as a
//! first, cheaper signal next to a protocol-level check.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{Health, checks, health_check};
//!
//! // One line in a `#[health_check]`:
//! #[health_check(name = "smtp", timeout_ms = 500)]
//! async fn smtp() -> health_runtime::CheckOutcome {
//!     checks::tcp::connect("127.0.0.1:25").await
//! }
//!
//! // Or through the builder:
//! let health = Health::builder()
//!     .check(checks::tcp::check("broker", "127.0.0.1:5672").timeout(Duration::from_millis(500)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::check::{Check, CheckOutcome};

/// Opens a TCP connection to `address` (`host:port`, resolved on every run) and closes it.
///
/// Unhealthy with `TCP connect to <address>: <reason>` when name resolution or the
/// connection fails.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "smtp", timeout_ms = 500)]
/// async fn smtp() -> CheckOutcome {
///     health_runtime::checks::tcp::connect("127.0.0.1:25").await
/// }
/// ```
pub async fn connect(address: &str) -> CheckOutcome {
    match TcpStream::connect(address).await {
        Ok(stream) => {
            let outcome = CheckOutcome::healthy();
            match stream.peer_addr() {
                Ok(peer) => outcome.with_detail("peer", peer.to_string()),
                Err(_) => outcome,
            }
        }
        Err(error) => CheckOutcome::unhealthy(format!("TCP connect to {address}: {error}")),
    }
}

/// A readiness [`Check`] named `name` that connects to `address` on every run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::tcp;
///
/// let health = Health::builder().check(tcp::check("broker", "127.0.0.1:5672")).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, address: impl Into<String>) -> Check {
    let address: Arc<str> = address.into().into();
    Check::new(name, move || {
        let address = Arc::clone(&address);
        async move { connect(&address).await }
    })
}
