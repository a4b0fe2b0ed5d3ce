//! DNS resolution of a host name (no feature: the system resolver through
//! `tokio::net::lookup_host`, as every connection of the application resolves).
//!
//! ```
//! use health_runtime::{Health, checks};
//!
//! let health = Health::builder()
//!     .check(checks::dns::check("dns", "db.internal.example.com"))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use crate::check::{Check, CheckOutcome};

/// Resolves `host`; healthy with at least one address, which are the details.
///
/// ```
/// use health_runtime::CheckStatus;
/// use health_runtime::checks::dns::resolve;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(resolve("localhost").await.status(), CheckStatus::Healthy);
/// # }
/// ```
pub async fn resolve(host: &str) -> CheckOutcome {
    match tokio::net::lookup_host((host, 0)).await {
        Ok(addresses) => {
            let mut found: Vec<String> = addresses.map(|a| a.ip().to_string()).collect();
            found.sort();
            found.dedup();
            if found.is_empty() {
                CheckOutcome::unhealthy(format!("dns: {host} has no address"))
            } else {
                CheckOutcome::healthy().with_detail("addresses", found)
            }
        }
        Err(error) => CheckOutcome::unhealthy(format!("dns: {host}: {error}")),
    }
}

/// A readiness [`Check`] named `name` that resolves `host` on every run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::dns;
///
/// let health = Health::builder()
///     .check(dns::check("openai-dns", "myresource.openai.azure.com"))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, host: impl Into<String>) -> Check {
    let host: Arc<str> = host.into().into();
    Check::new(name, move || {
        let host = Arc::clone(&host);
        async move { resolve(&host).await }
    })
}
