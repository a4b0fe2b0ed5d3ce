//! Connections: TCP, TLS where the endpoint needs it, SASL, and the transport check.

use std::fmt::Write as _;
use std::sync::Arc;

use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::{Connection, Sender, Session};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::super::failure::failed;
use crate::check::CheckOutcome;
use crate::tls;

/// The roots a TLS connection verifies the server's chain against.
#[derive(Clone)]
pub(super) enum Roots {
    /// The Mozilla roots (`webpki-roots`), as public endpoints need.
    Public,
    /// Only these (a private CA).
    Private(Arc<ClientConfig>),
}

impl Roots {
    /// Trusts only `roots`; one that does not parse is left out, so a chain ending in it
    /// fails to verify.
    pub(super) fn private(roots: impl IntoIterator<Item = CertificateDer<'static>>) -> Roots {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(roots);
        Roots::Private(Arc::new(tls::client_config(store)))
    }

    fn config(&self) -> Arc<ClientConfig> {
        match self {
            Roots::Public => tls::public_config(),
            Roots::Private(config) => Arc::clone(config),
        }
    }

    pub(super) fn is_private(&self) -> bool {
        matches!(self, Roots::Private(_))
    }
}

/// `{prefix}-<128 random bits in hex>`: the container id of a connection and the reply-to
/// address of a management link, unique to it and not to be guessed by another client of
/// the namespace (Microsoft's clients use a new GUID for each: azure-sdk-for-net
/// `Amqp/AmqpConnectionScope.cs`, azure-sdk-for-python `_pyamqp/management_link.py`).
pub(super) fn unguessable_name(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // The system's generator failing is not worth a false alarm: a name unique to this
        // process and moment still keeps two connections apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    let mut name = String::with_capacity(prefix.len() + 33);
    name.push_str(prefix);
    name.push('-');
    for byte in bytes {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// Opens a connection to `host:port` (over TLS verified against `roots` when `tls`),
/// authenticating with `sasl`, under a container id of its own.
pub(super) async fn open(
    host: &str,
    port: u16,
    tls: Option<&Roots>,
    sasl: SaslProfile,
) -> Result<ConnectionHandle<()>, CheckOutcome> {
    let context = format!("amqp: connect to {host}:{port}");
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|error| failed(&context, &error))?;
    let builder = Connection::builder()
        .container_id(unguessable_name("health-runtime"))
        .hostname(host)
        .scheme("amqp")
        .sasl_profile(sasl);
    let opened = if let Some(roots) = tls {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|error| failed(&context, &error))?;
        let stream = TlsConnector::from(roots.config())
            .connect(name, stream)
            .await
            .map_err(|error| failed(&format!("{context}: TLS"), &error))?;
        builder.open_with_stream(stream).await
    } else {
        builder.open_with_stream(stream).await
    };
    opened.map_err(|error| failed(&context, &error))
}

/// The password in an `amqp[s]://user:password@...` URL, percent-decoded.
pub(super) fn password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let password = parsed.password()?;
    Some(percent_decode(password))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Connects to `url` (`amqp://` or `amqps://`, with `user:password@` for SASL PLAIN,
/// ANONYMOUS without), begins a session, attaches a sender link to `address` and closes
/// everything: the broker accepted the connection, the login and the link. `amqps://`
/// verifies the broker's certificate against the Mozilla roots ([`attach_trusting`] for a
/// private CA).
pub async fn attach(url: &str, address: &str) -> CheckOutcome {
    attach_over(url, address, &Roots::Public).await
}

/// [`attach`], an `amqps://` broker's certificate verified against `roots` only (a private
/// CA, in DER) instead of the Mozilla roots. A wrong host name, an expired certificate or
/// another CA is unhealthy with rustls's reason.
///
/// ```no_run,standalone_crate
/// use health_runtime::checks::fe2o3_amqp;
/// use health_runtime::{CheckOutcome, health_check};
/// use tokio_rustls::rustls::pki_types::CertificateDer;
///
/// #[health_check(name = "broker", timeout_ms = 2000)]
/// async fn broker() -> CheckOutcome {
///     let ca = CertificateDer::from(std::fs::read("/etc/broker/ca.der").unwrap_or_default());
///     fe2o3_amqp::attach_trusting("amqps://app:secret@broker.internal:5671", "jobs", [ca]).await
/// }
/// ```
pub async fn attach_trusting(
    url: &str,
    address: &str,
    roots: impl IntoIterator<Item = CertificateDer<'static>>,
) -> CheckOutcome {
    attach_over(url, address, &Roots::private(roots)).await
}

pub(super) async fn attach_over(url: &str, address: &str, roots: &Roots) -> CheckOutcome {
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => return CheckOutcome::unhealthy(format!("amqp: invalid URL: {error}")),
    };
    let tls = match parsed.scheme() {
        "amqp" => false,
        "amqps" => true,
        other => {
            let other: String = other.chars().take(16).collect();
            return CheckOutcome::unhealthy(format!("amqp: unsupported scheme `{other}`"));
        }
    };
    let Some(host) = parsed.host_str() else {
        return CheckOutcome::unhealthy("amqp: the URL names no host");
    };
    let port = parsed.port().unwrap_or(if tls { 5671 } else { 5672 });
    let sasl = match (parsed.username(), parsed.password()) {
        ("", None) => SaslProfile::Anonymous,
        (user, password) => SaslProfile::Plain {
            username: percent_decode(user),
            password: password.map(percent_decode).unwrap_or_default(),
        },
    };
    let mut connection = match open(host, port, tls.then_some(roots), sasl).await {
        Ok(connection) => connection,
        Err(outcome) => return outcome,
    };
    let outcome = attach_on(&mut connection, address).await;
    let _ = connection.close().await;
    outcome
}

async fn attach_on(connection: &mut ConnectionHandle<()>, address: &str) -> CheckOutcome {
    let mut session = match Session::begin(connection).await {
        Ok(session) => session,
        Err(error) => return failed("amqp: begin a session", &error),
    };
    let outcome = match Sender::attach(&mut session, "health-runtime-check", address).await {
        Ok(sender) => {
            let _ = sender.close().await;
            CheckOutcome::healthy().with_detail("address", address)
        }
        Err(error) => failed(&format!("amqp: attach to `{address}`"), &error),
    };
    let _ = session.end().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container id or reply-to address: 128 random bits after the prefix, new each time.
    #[test]
    fn names_are_unique_and_unguessable() {
        let names: Vec<String> = (0..64)
            .map(|_| unguessable_name("health-runtime"))
            .collect();
        for name in &names {
            let random = name.strip_prefix("health-runtime-").expect("the prefix");
            assert!(
                random.len() == 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
                "{name}"
            );
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
