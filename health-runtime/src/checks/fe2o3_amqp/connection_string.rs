//! An Azure Service Bus entity and its credential, from a connection string or in parts.

use std::fmt;

/// A Service Bus queue or topic subscription and how to authorise on it.
///
/// Built from the connection string the Azure portal shows
/// (`Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;
/// SharedAccessKey=...;EntityPath=<queue>`), or from its parts with
/// [`ServiceBus::new`]. The key is never shown: not by `Debug`, not in an error, and the
/// checks built on it register it for redaction.
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
    pub(super) tls: bool,
    pub(super) entity: String,
    pub(super) credential: Credential,
}

#[derive(Clone)]
pub(super) enum Credential {
    /// A shared access key: tokens are signed with it for each run.
    Key { name: String, key: String },
    /// A ready-made `SharedAccessSignature sr=...` token.
    Signature(String),
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
            tls: true,
            entity: entity.into(),
            credential: Credential::Key {
                name: key_name.into(),
                key: key.into(),
            },
        }
    }

    /// Reads `Endpoint`, `SharedAccessKeyName` + `SharedAccessKey` (or
    /// `SharedAccessSignature`), `EntityPath`, and `UseDevelopmentEmulator=true` (the local
    /// emulator: plain AMQP, port 5672 unless the endpoint names one). Keys are matched
    /// without regard to case, as the Azure SDKs do.
    pub fn from_connection_string(text: &str) -> Result<ServiceBus, InvalidConnectionString> {
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
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse()
                    .map_err(|_| invalid("the Endpoint's port is not a number"))?;
                (host, port)
            }
            None => (authority, if emulator { 5672 } else { 5671 }),
        };
        if host.is_empty() || host.contains('/') {
            return Err(invalid("the Endpoint names no host"));
        }
        let credential = match (fields.key_name, fields.key, fields.signature) {
            (_, _, Some(signature)) => Credential::Signature(signature),
            (Some(name), Some(key), None) => Credential::Key { name, key },
            _ => return Err(invalid("no SharedAccessKeyName and SharedAccessKey")),
        };
        let entity = fields.entity.ok_or_else(|| {
            invalid("no EntityPath (name the entity with `from_connection_string_for`)")
        })?;
        Ok(ServiceBus {
            host: host.to_owned(),
            port,
            tls: !emulator,
            entity,
            credential,
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

    /// `sb://<host>/<entity>`: the token audience, and the name the errors use.
    pub(super) fn audience(&self) -> String {
        format!("sb://{}/{}", self.host, self.entity)
    }

    /// The shared access key (or signature) this entity is authorised with: what to
    /// register with [`Health::secret`](crate::Health::secret) when [`peek`](super::peek) runs
    /// in a `#[health_check]` body (the builder forms register it themselves).
    pub fn secret(&self) -> &str {
        match &self.credential {
            Credential::Key { key, .. } => key,
            Credential::Signature(signature) => signature,
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
            // Documented keys a peek does not need.
            "transporttype" | "operationtimeout" => return Ok(()),
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

/// `sb://<host>/<entity>`, without the credential.
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
        };
        f.debug_struct("ServiceBus")
            .field("entity", &self.audience())
            .field("port", &self.port)
            .field("tls", &self.tls)
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
            (bus.host.as_str(), bus.port, bus.tls),
            ("localhost", 5672, false)
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
