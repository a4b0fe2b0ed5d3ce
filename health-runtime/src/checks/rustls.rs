//! TLS certificate expiry of an endpoint with rustls (feature `rustls`: `tokio-rustls`
//! with the ring provider, the Mozilla roots, and `x509-cert` to read the expiry; no
//! OpenSSL).
//!
//! A run opens a TLS connection the way a client of the endpoint would: the chain must
//! verify to a trusted root (the Mozilla roots, or the private roots given), for the
//! server name, and be in its validity period — an expired or untrusted certificate is
//! unhealthy with rustls's reason. A valid certificate that expires within the warning
//! period (14 days by default) is degraded, so the renewal that did not happen is seen
//! before clients fail.
//!
//! ```
//! use std::time::Duration;
//! use health_runtime::{Health, checks};
//! use health_runtime::checks::rustls::TlsTarget;
//!
//! let api = TlsTarget::new("api.example.com", 443).warn_within(Duration::from_secs(21 * 86_400));
//! let health = Health::builder()
//!     .check(checks::rustls::check("api-certificate", api).timeout(Duration::from_secs(3)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::RootCertStore;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use x509_cert::Certificate;
use x509_cert::der::Decode as _;

use crate::check::{Check, CheckOutcome};
use crate::tls;

/// The default warning period before expiry.
pub const DEFAULT_WARN_WITHIN: Duration = Duration::from_secs(14 * 86_400);

/// An endpoint whose certificate is checked, and how.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::checks::rustls::TlsTarget;
///
/// let target = TlsTarget::new("10.0.0.7", 443)
///     .server_name("api.example.com")
///     .warn_within(Duration::from_secs(30 * 24 * 3600));
/// # let _ = target;
/// ```
#[derive(Clone)]
pub struct TlsTarget {
    host: String,
    port: u16,
    server_name: String,
    roots: Arc<RootCertStore>,
    warn_within: Duration,
}

/// Where to connect, which name and roots to verify against, and when to warn.
///
/// ```
/// use health_runtime::checks::rustls::{self, TlsTarget};
///
/// let check = rustls::check("api-certificate", TlsTarget::new("api.example.com", 443));
/// assert_eq!(check.name(), "api-certificate");
/// ```
impl TlsTarget {
    /// `host:port`, verified for the name `host` against the Mozilla roots.
    ///
    /// ```
    /// let target = health_runtime::checks::rustls::TlsTarget::new("api.example.com", 443);
    /// # let _ = target;
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> TlsTarget {
        let host = host.into();
        TlsTarget {
            server_name: host.clone(),
            host,
            port,
            roots: tls::public_roots(),
            warn_within: DEFAULT_WARN_WITHIN,
        }
    }

    /// Verifies the certificate for `name` instead of the host connected to (an address,
    /// a load balancer in front of the named service).
    ///
    /// ```
    /// use health_runtime::checks::rustls::TlsTarget;
    ///
    /// // Connect to an address, verify the name the certificate was issued for.
    /// let target = TlsTarget::new("10.0.0.7", 443).server_name("api.example.com");
    /// # let _ = target;
    /// ```
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> TlsTarget {
        self.server_name = name.into();
        self
    }

    /// Trusts only these roots (a private CA) instead of the Mozilla roots. A root that
    /// does not parse is left out, so the endpoint's chain then fails to verify.
    ///
    /// ```
    /// use health_runtime::checks::rustls::TlsTarget;
    /// use tokio_rustls::rustls::pki_types::CertificateDer;
    ///
    /// fn internal(ca: CertificateDer<'static>) -> TlsTarget {
    ///     TlsTarget::new("vault.internal", 8200).root_certificates([ca])
    /// }
    /// # let _ = internal;
    /// ```
    #[must_use]
    pub fn root_certificates(
        mut self,
        roots: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> TlsTarget {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(roots);
        self.roots = Arc::new(store);
        self
    }

    /// Degraded when the certificate expires within `period` (default 14 days).
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime::checks::rustls::TlsTarget;
    ///
    /// let target = TlsTarget::new("api.example.com", 443).warn_within(Duration::from_secs(7 * 24 * 3600));
    /// # let _ = target;
    /// ```
    #[must_use]
    pub fn warn_within(mut self, period: Duration) -> TlsTarget {
        self.warn_within = period;
        self
    }
}

/// `host:port (server name)`.
impl fmt::Display for TlsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)?;
        if self.server_name != self.host {
            write!(f, " ({})", self.server_name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TlsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTarget")
            .field("endpoint", &self.to_string())
            .field("roots", &self.roots.len())
            .field("warn_within", &self.warn_within)
            .finish()
    }
}

/// Connects to `target`, verifies its certificate and judges its expiry.
///
/// ```no_run,standalone_crate
/// use health_runtime::checks::rustls::{TlsTarget, certificate};
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "api_certificate", timeout_ms = 3000)]
/// async fn api_certificate() -> CheckOutcome {
///     certificate(&TlsTarget::new("api.example.com", 443)).await
/// }
/// ```
pub async fn certificate(target: &TlsTarget) -> CheckOutcome {
    let context = format!("tls: {target}");
    let config = tls::client_config(Arc::clone(&target.roots));
    let name = match ServerName::try_from(target.server_name.clone()) {
        Ok(name) => name,
        Err(error) => return CheckOutcome::unhealthy(format!("{context}: {error}")),
    };
    let stream = match TcpStream::connect((target.host.as_str(), target.port)).await {
        Ok(stream) => stream,
        Err(error) => return CheckOutcome::unhealthy(format!("{context}: {error}")),
    };
    let tls = match TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
    {
        Ok(tls) => tls,
        Err(error) => return CheckOutcome::unhealthy(format!("{context}: {error}")),
    };
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|der| der.as_ref().to_vec());
    match leaf.as_deref().map(not_after) {
        Some(Ok(expiry)) => judge(&context, expiry, SystemTime::now(), target.warn_within),
        Some(Err(error)) => CheckOutcome::unhealthy(format!("{context}: {error}")),
        None => CheckOutcome::unhealthy(format!("{context}: no certificate was presented")),
    }
}

/// The `notAfter` of a DER certificate.
fn not_after(der: &[u8]) -> Result<SystemTime, String> {
    let certificate =
        Certificate::from_der(der).map_err(|error| format!("unreadable certificate: {error}"))?;
    let since_epoch = certificate
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration();
    Ok(UNIX_EPOCH + since_epoch)
}

fn judge(
    context: &str,
    expiry: SystemTime,
    now: SystemTime,
    warn_within: Duration,
) -> CheckOutcome {
    let left = expiry.duration_since(now).unwrap_or_default();
    let days = left.as_secs() / 86_400;
    let date = humantime::format_rfc3339_seconds(expiry).to_string();
    let outcome = if left < warn_within {
        CheckOutcome::degraded(format!(
            "{context}: the certificate expires in {days} days ({date})"
        ))
    } else {
        CheckOutcome::healthy()
    };
    outcome
        .with_detail("not_after", date)
        .with_detail("days_left", days)
}

/// A readiness [`Check`] named `name` on `target`'s certificate.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::rustls::{self, TlsTarget};
///
/// let health = Health::builder()
///     .check(rustls::check("api-certificate", TlsTarget::new("api.example.com", 443)))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>, target: TlsTarget) -> Check {
    let target = Arc::new(target);
    Check::new(name, move || {
        let target = Arc::clone(&target);
        async move { certificate(&target).await }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckStatus;

    #[test]
    fn expiry_within_the_warning_period_degrades() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let soon = now + Duration::from_secs(3 * 86_400 + 60);
        let outcome = judge("tls: h:443", soon, now, DEFAULT_WARN_WITHIN);
        assert_eq!(outcome.status(), CheckStatus::Degraded);
        assert_eq!(
            outcome.message(),
            Some("tls: h:443: the certificate expires in 3 days (2023-11-17T22:14:20Z)")
        );
        let later = now + Duration::from_secs(90 * 86_400);
        assert_eq!(
            judge("tls: h:443", later, now, DEFAULT_WARN_WITHIN).status(),
            CheckStatus::Healthy
        );
    }
}
