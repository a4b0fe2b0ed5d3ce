//! An Azure Service Bus entity and its credential, from a connection string or in parts.

use std::fmt;

use tokio_rustls::rustls::pki_types::CertificateDer;

use super::transport::Roots;
#[cfg(feature = "azure-identity")]
use crate::checks::azure_identity::{AccessTokens, AzureCredential, SERVICE_BUS_SCOPE};

/// A Service Bus queue or topic subscription and how to authorise on it.
///
/// Built from the connection string the Azure portal shows
/// (`Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;
/// SharedAccessKey=...;EntityPath=<queue>`), or from its parts with
/// [`ServiceBus::new`], or authorised with an Entra ID identity instead of a key
/// (`ServiceBus::with_identity`, feature `azure-identity`). The key is never shown: not by
/// `Debug`, not in an error, and the checks built on it register it for redaction.
///
/// `TransportType=AmqpWebSockets` is refused with an error saying so: the check speaks AMQP
/// over TCP (5671 with TLS), and a connection string asking for port 443 must not be
/// quietly served on another port.
///
/// ```
/// use health_runtime::checks::fe2o3_amqp::ServiceBus;
///
/// let bus = ServiceBus::from_connection_string(
///     "Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=listen;\
///      SharedAccessKey=not-a-real-key;EntityPath=orders",
/// )
/// .unwrap();
/// assert_eq!(bus.to_string(), "sb://orders.servicebus.windows.net/orders");
/// assert!(!format!("{bus:?}").contains("not-a-real-key"));
///
/// let namespace_only = "Endpoint=sb://x/;SharedAccessKeyName=listen;SharedAccessKey=k";
/// let error = ServiceBus::from_connection_string(namespace_only).unwrap_err();
/// assert_eq!(error.to_string(), "invalid Service Bus connection string: no EntityPath (name the entity with `from_connection_string_for`)");
/// ```
#[derive(Clone)]
pub struct ServiceBus {
    pub(super) host: String,
    pub(super) port: u16,
    /// Whether the endpoint named its port: the token audience then keeps it, as the
    /// emulator's endpoints (`sb://localhost:5673`) need.
    pub(super) explicit_port: bool,
    /// `None`: plain AMQP (the emulator).
    pub(super) tls: Option<Roots>,
    pub(super) entity: String,
    pub(super) credential: Credential,
    pub(super) max_peek_bytes: u64,
}

/// The default bound of what one peek may read: a larger answer (a peeked message of a
/// Premium namespace may be 100 MB) is refused by the link after this many bytes.
pub const DEFAULT_MAX_PEEK_BYTES: u64 = 1 << 20;

#[derive(Clone)]
pub(super) enum Credential {
    /// A shared access key: tokens are signed with it for each run.
    Key { name: String, key: String },
    /// A ready-made `SharedAccessSignature sr=...` token.
    Signature(String),
    /// Entra ID tokens for the Service Bus scope, cached and refreshed ahead of expiry.
    #[cfg(feature = "azure-identity")]
    Identity(AccessTokens),
}

/// Why a connection string was not accepted; never quotes a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConnectionString(String);

impl fmt::Display for InvalidConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Service Bus connection string: {}", self.0)
    }
}

impl std::error::Error for InvalidConnectionString {}

fn invalid(reason: impl Into<String>) -> InvalidConnectionString {
    InvalidConnectionString(reason.into())
}

impl ServiceBus {
    /// The entity `entity` of the namespace `namespace` (`orders.servicebus.windows.net`),
    /// authorised with the shared access key `key` of the policy `key_name`, over TLS on
    /// port 5671.
    pub fn new(
        namespace: impl Into<String>,
        entity: impl Into<String>,
        key_name: impl Into<String>,
        key: impl Into<String>,
    ) -> ServiceBus {
        ServiceBus {
            host: namespace.into(),
            port: 5671,
            explicit_port: false,
            tls: Some(Roots::Public),
            entity: entity.into(),
            credential: Credential::Key {
                name: key_name.into(),
                key: key.into(),
            },
            max_peek_bytes: DEFAULT_MAX_PEEK_BYTES,
        }
    }

    /// The entity `entity` of the namespace `namespace` (`orders.servicebus.windows.net`),
    /// authorised with Entra ID tokens of `credential` for the scope
    /// `https://servicebus.azure.net/.default` (put on `$cbs` as type `jwt`), over TLS on
    /// port 5671. The identity needs the role `Azure Service Bus Data Receiver` on the
    /// entity (or its namespace) to peek.
    ///
    /// ```no_run
    /// use health_runtime::checks::azure_identity::AzureCredential;
    /// use health_runtime::checks::fe2o3_amqp::ServiceBus;
    ///
    /// let credential = AzureCredential::from_environment()?;
    /// let bus = ServiceBus::with_identity("orders.servicebus.windows.net", "orders", &credential);
    /// # let _ = bus;
    /// # Ok::<(), health_runtime::checks::azure_identity::IdentityError>(())
    /// ```
    #[cfg(feature = "azure-identity")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
    pub fn with_identity(
        namespace: impl Into<String>,
        entity: impl Into<String>,
        credential: &AzureCredential,
    ) -> ServiceBus {
        ServiceBus {
            credential: Credential::Identity(credential.tokens_for(SERVICE_BUS_SCOPE)),
            ..ServiceBus::new(namespace, entity, "", "")
        }
    }

    /// Like [`ServiceBus::from_connection_string`] for a string without a key
    /// (`Endpoint=...;EntityPath=...`, the emulator's `UseDevelopmentEmulator=true`
    /// included), authorised with Entra ID tokens of `credential` as
    /// [`ServiceBus::with_identity`] is.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use health_runtime::checks::azure_identity::AzureCredential;
    /// use health_runtime::checks::fe2o3_amqp::ServiceBus;
    /// # #[derive(Debug)] struct Mine;
    /// # #[async_trait::async_trait]
    /// # impl azure_core::credentials::TokenCredential for Mine {
    /// #     async fn get_token(&self, _: &[&str], _: Option<azure_core::credentials::TokenRequestOptions<'_>>)
    /// #         -> azure_core::Result<azure_core::credentials::AccessToken> { unimplemented!() }
    /// # }
    ///
    /// let credential = AzureCredential::from_credential(Arc::new(Mine));
    /// let bus = ServiceBus::from_connection_string_with_identity(
    ///     "Endpoint=sb://orders.servicebus.windows.net/;EntityPath=orders",
    ///     &credential,
    /// )?;
    /// assert_eq!(bus.to_string(), "sb://orders.servicebus.windows.net/orders");
    /// # Ok::<(), health_runtime::checks::fe2o3_amqp::InvalidConnectionString>(())
    /// ```
    #[cfg(feature = "azure-identity")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
    pub fn from_connection_string_with_identity(
        text: &str,
        credential: &AzureCredential,
    ) -> Result<ServiceBus, InvalidConnectionString> {
        let mut bus = ServiceBus::parse(text, false)?;
        bus.credential = Credential::Identity(credential.tokens_for(SERVICE_BUS_SCOPE));
        Ok(bus)
    }

    /// Verifies the namespace's certificate against these roots only (a private CA, in
    /// DER) instead of the Mozilla roots, and connects over TLS even where the connection
    /// string names the emulator.
    ///
    /// ```
    /// use health_runtime::checks::fe2o3_amqp::ServiceBus;
    /// use tokio_rustls::rustls::pki_types::CertificateDer;
    ///
    /// fn private(ca: CertificateDer<'static>) -> ServiceBus {
    ///     ServiceBus::new("bus.internal", "orders", "listen", "c2VjcmV0").root_certificates([ca])
    /// }
    /// # let _ = private;
    /// ```
    #[must_use]
    pub fn root_certificates(
        mut self,
        roots: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> ServiceBus {
        self.tls = Some(Roots::private(roots));
        self
    }

    /// Bounds what one peek may read to `bytes` (default [`DEFAULT_MAX_PEEK_BYTES`], 1 MiB).
    /// A message larger than that at the head of the entity is not downloaded: the link
    /// refuses it, and the run is healthy with `peeked: 1` and `larger_than_bytes`, since
    /// the entity answered.
    ///
    /// ```
    /// use health_runtime::checks::fe2o3_amqp::ServiceBus;
    ///
    /// let bus = ServiceBus::new("orders.servicebus.windows.net", "orders", "listen", "c2VjcmV0")
    ///     .max_peek_bytes(256 * 1024);
    /// # let _ = bus;
    /// ```
    #[must_use]
    pub fn max_peek_bytes(mut self, bytes: u64) -> ServiceBus {
        self.max_peek_bytes = bytes.max(1024);
        self
    }

    /// Reads `Endpoint`, `SharedAccessKeyName` + `SharedAccessKey` (or
    /// `SharedAccessSignature`), `EntityPath`, and `UseDevelopmentEmulator=true` (the local
    /// emulator: plain AMQP, port 5672 unless the endpoint names one). Keys are matched
    /// without regard to case, as the Azure SDKs do.
    pub fn from_connection_string(text: &str) -> Result<ServiceBus, InvalidConnectionString> {
        ServiceBus::parse(text, true)
    }

    fn parse(text: &str, with_key: bool) -> Result<ServiceBus, InvalidConnectionString> {
        let mut fields = Fields::default();
        for pair in text
            .split(';')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
        {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid("a part without `=`"))?;
            fields.set(key.trim(), value.trim())?;
        }
        let endpoint = fields.endpoint.ok_or_else(|| invalid("no Endpoint"))?;
        let authority = endpoint
            .strip_prefix("sb://")
            .ok_or_else(|| invalid("the Endpoint must start with sb://"))?
            .trim_end_matches('/');
        let emulator = fields.emulator.eq_ignore_ascii_case("true");
        let (host, port, explicit_port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse()
                    .map_err(|_| invalid("the Endpoint's port is not a number"))?;
                (host, port, true)
            }
            None => (authority, if emulator { 5672 } else { 5671 }, false),
        };
        if host.is_empty() || host.contains('/') {
            return Err(invalid("the Endpoint names no host"));
        }
        let credential = match (fields.key_name, fields.key, fields.signature) {
            (_, _, Some(signature)) => Credential::Signature(signature),
            (Some(name), Some(key), None) => Credential::Key { name, key },
            // Authorised by an identity: `from_connection_string_with_identity` sets it.
            (None, None, None) if !with_key => Credential::Signature(String::new()),
            _ if !with_key => {
                return Err(invalid(
                    "a key or signature alongside an identity (leave the key out)",
                ));
            }
            _ => return Err(invalid("no SharedAccessKeyName and SharedAccessKey")),
        };
        let entity = fields.entity.ok_or_else(|| {
            invalid("no EntityPath (name the entity with `from_connection_string_for`)")
        })?;
        Ok(ServiceBus {
            host: host.to_owned(),
            port,
            explicit_port,
            tls: (!emulator).then_some(Roots::Public),
            entity,
            credential,
            max_peek_bytes: DEFAULT_MAX_PEEK_BYTES,
        })
    }

    /// Like [`ServiceBus::from_connection_string`] for a namespace-level connection string
    /// (without `EntityPath`), naming the entity to peek.
    pub fn from_connection_string_for(
        text: &str,
        entity: impl Into<String>,
    ) -> Result<ServiceBus, InvalidConnectionString> {
        let with_entity = format!("{text};EntityPath={}", entity.into());
        ServiceBus::from_connection_string(&with_entity)
    }

    /// The peeked entity: a queue, or `<topic>/Subscriptions/<subscription>`.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// `sb://<host>[:<port>]/<entity>`: the token audience, and the name the errors use.
    /// A port the endpoint named is kept, as Microsoft's clients keep it (the audience is
    /// the absolute URI of the entity under the endpoint: azure-sdk-for-net
    /// `Amqp/AmqpConnectionScope.cs`), which the emulator's endpoints need.
    pub(super) fn audience(&self) -> String {
        if self.explicit_port {
            format!("sb://{}:{}/{}", self.host, self.port, self.entity)
        } else {
            format!("sb://{}/{}", self.host, self.entity)
        }
    }

    /// The shared access key (or signature) this entity is authorised with: what to
    /// register with [`Health::secret`](crate::Health::secret) when [`peek`](super::peek) runs
    /// in a `#[health_check]` body (the builder forms register it themselves). Empty for an
    /// entity authorised by an identity, whose tokens are registered as they are fetched
    /// (`AzureCredential::redact_in`).
    pub fn secret(&self) -> &str {
        match &self.credential {
            Credential::Key { key, .. } => key,
            Credential::Signature(signature) => signature,
            #[cfg(feature = "azure-identity")]
            Credential::Identity(_) => "",
        }
    }
}

#[derive(Default)]
struct Fields {
    endpoint: Option<String>,
    key_name: Option<String>,
    key: Option<String>,
    signature: Option<String>,
    entity: Option<String>,
    emulator: String,
}

impl Fields {
    fn set(&mut self, key: &str, value: &str) -> Result<(), InvalidConnectionString> {
        let slot = match key.to_ascii_lowercase().as_str() {
            "endpoint" => &mut self.endpoint,
            "sharedaccesskeyname" => &mut self.key_name,
            "sharedaccesskey" => &mut self.key,
            "sharedaccesssignature" => &mut self.signature,
            "entitypath" => &mut self.entity,
            "usedevelopmentemulator" => {
                self.emulator = value.to_owned();
                return Ok(());
            }
            "transporttype" => return transport_type(value),
            // A documented key a peek does not need.
            "operationtimeout" => return Ok(()),
            _ => {
                let shown: String = key.chars().take(40).collect();
                return Err(invalid(format!("unknown key `{shown}`")));
            }
        };
        if slot.is_some() {
            return Err(invalid(format!("`{key}` given twice")));
        }
        *slot = Some(value.to_owned());
        Ok(())
    }
}

/// `Amqp` is what the check speaks; `AmqpWebSockets` (AMQP inside WebSockets on port 443,
/// for networks that allow only 443) is refused rather than quietly served over 5671.
fn transport_type(value: &str) -> Result<(), InvalidConnectionString> {
    if value.eq_ignore_ascii_case("amqp") {
        Ok(())
    } else if value.eq_ignore_ascii_case("amqpwebsockets") {
        Err(invalid(
            "TransportType=AmqpWebSockets is not supported: the check connects with AMQP over \
             TCP (port 5671); allow outbound 5671 or leave TransportType out",
        ))
    } else {
        let shown: String = value.chars().take(40).collect();
        Err(invalid(format!(
            "unknown TransportType `{shown}` (the check speaks `Amqp`)"
        )))
    }
}

/// `sb://<host>[:<port>]/<entity>`, without the credential.
impl fmt::Display for ServiceBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.audience())
    }
}

impl fmt::Debug for ServiceBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credential = match &self.credential {
            Credential::Key { name, .. } => format!("shared access key of `{name}`"),
            Credential::Signature(_) => "shared access signature".to_owned(),
            #[cfg(feature = "azure-identity")]
            Credential::Identity(tokens) => format!("Entra ID ({})", tokens.source()),
        };
        let tls = match &self.tls {
            None => "none",
            Some(roots) if roots.is_private() => "private roots",
            Some(_) => "Mozilla roots",
        };
        f.debug_struct("ServiceBus")
            .field("entity", &self.audience())
            .field("port", &self.port)
            .field("tls", &tls)
            .field("credential", &credential)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_strings_use_plain_amqp() {
        let bus = ServiceBus::from_connection_string(
            "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;\
             SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;EntityPath=queue.1",
        )
        .unwrap();
        assert_eq!(
            (bus.host.as_str(), bus.port, bus.tls.is_some()),
            ("localhost", 5672, false)
        );
        assert_eq!(bus.audience(), "sb://localhost/queue.1");
    }

    /// The emulator's endpoint with a port: the audience keeps it.
    #[test]
    fn a_named_port_stays_in_the_audience() {
        let bus = ServiceBus::from_connection_string(
            "Endpoint=sb://localhost:5673;SharedAccessKeyName=RootManageSharedAccessKey;\
             SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;EntityPath=queue.1",
        )
        .unwrap();
        assert_eq!(bus.port, 5673);
        assert_eq!(bus.audience(), "sb://localhost:5673/queue.1");
        let public = ServiceBus::new("ns.servicebus.windows.net", "q", "n", "k");
        assert_eq!(public.audience(), "sb://ns.servicebus.windows.net/q");
    }

    #[test]
    fn websockets_are_refused_not_ignored() {
        let base = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=n;\
                    SharedAccessKey=k;EntityPath=q";
        let error =
            ServiceBus::from_connection_string(&format!("{base};TransportType=AmqpWebSockets"))
                .unwrap_err()
                .to_string();
        assert!(error.contains("AmqpWebSockets is not supported"), "{error}");
        assert!(ServiceBus::from_connection_string(&format!("{base};TransportType=Amqp")).is_ok());
        let unknown = ServiceBus::from_connection_string(&format!("{base};TransportType=Carrier"))
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("unknown TransportType `Carrier`"),
            "{unknown}"
        );
    }

    #[test]
    fn mistakes_are_named_without_the_key() {
        for (text, reason) in [
            ("SharedAccessKey=k;EntityPath=q", "no Endpoint"),
            (
                "Endpoint=https://x/;SharedAccessKeyName=n;SharedAccessKey=k;EntityPath=q",
                "sb://",
            ),
            (
                "Endpoint=sb://x/;SharedAccessKey=k;EntityPath=q",
                "SharedAccessKeyName",
            ),
            ("Endpoint=sb://x/;Endpoint=sb://y/", "given twice"),
            ("Endpoint=sb://x/;Colour=k-secret", "unknown key `Colour`"),
        ] {
            let error = ServiceBus::from_connection_string(text)
                .unwrap_err()
                .to_string();
            assert!(error.contains(reason), "{text}: {error}");
            assert!(!error.contains("k-secret"), "{error}");
        }
    }
}
