//! Connections: TCP, TLS where the endpoint needs it, SASL, and the transport check.

use std::sync::{Arc, OnceLock};

use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::{Connection, Sender, Session};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::super::failure::failed;
use crate::check::CheckOutcome;

/// The container id the checks' connections announce.
const CONTAINER_ID: &str = "health-runtime";

/// Opens a connection to `host:port` (over TLS when `tls`), authenticating with `sasl`.
pub(super) async fn open(
    host: &str,
    port: u16,
    tls: bool,
    sasl: SaslProfile,
) -> Result<ConnectionHandle<()>, CheckOutcome> {
    let context = format!("amqp: connect to {host}:{port}");
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|error| failed(&context, &error))?;
    let builder = Connection::builder()
        .container_id(CONTAINER_ID)
        .hostname(host)
        .scheme("amqp")
        .sasl_profile(sasl);
    let opened = if tls {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|error| failed(&context, &error))?;
        let stream = TlsConnector::from(tls_config())
            .connect(name, stream)
            .await
            .map_err(|error| failed(&format!("{context}: TLS"), &error))?;
        builder.open_with_stream(stream).await
    } else {
        builder.open_with_stream(stream).await
    };
    opened.map_err(|error| failed(&context, &error))
}

fn tls_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
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
/// everything: the broker accepted the connection, the login and the link.
pub async fn attach(url: &str, address: &str) -> CheckOutcome {
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
    let mut connection = match open(host, port, tls, sasl).await {
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
