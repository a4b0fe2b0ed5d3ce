//! The TLS client every TLS connection of the library is made with: rustls with ring's
//! cryptography (no OpenSSL, no aws-lc), TLS 1.2 and 1.3, trusting the Mozilla roots or
//! the roots an application gives for a private CA.
//!
//! One definition, so that the Service Bus check, the certificate check, the Entra ID
//! transport and the webhook publisher cannot drift apart in what they accept.

use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A client configuration trusting `roots` only.
pub(crate) fn client_config(roots: impl Into<Arc<RootCertStore>>) -> ClientConfig {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// The Mozilla roots (`webpki-roots`), as a browser trusts them, gathered once per process.
pub(crate) fn public_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            Arc::new(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        })
        .clone()
}

/// The configuration trusting the Mozilla roots, built once per process.
#[cfg(any(feature = "fe2o3-amqp", feature = "webhook"))]
pub(crate) fn public_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| Arc::new(client_config(public_roots())))
        .clone()
}
