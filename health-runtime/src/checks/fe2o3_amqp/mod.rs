//! Azure Service Bus, and any AMQP 1.0 broker, with [`fe2o3_amqp`] (feature `fe2o3-amqp`:
//! TLS by rustls with the ring provider and the Mozilla roots; no OpenSSL).
//!
//! A Service Bus run ([`peek`]) is the reference article's "peek 0 messages" done the way
//! Microsoft's own clients do it: open a connection (TLS on 5671) under a container id of
//! its own and a session, authorise with a shared access signature — or, with the
//! `azure-identity` feature, an Entra ID token of type `jwt` — put on the `$cbs` node
//! (`put-token`), and ask the entity's `$management` node for
//! `com.microsoft:peek-message` with a count of 1, which reads without locking or
//! consuming anything. An empty entity is healthy however the service says so (`204`, or
//! `404 com.microsoft:message-not-found`); a run reads at most
//! [`DEFAULT_MAX_PEEK_BYTES`] (1 MiB, [`ServiceBus::max_peek_bytes`]) whatever the
//! message at the head of the entity weighs. The default timeout is 2000 ms, the
//! article's. `TransportType=AmqpWebSockets` is refused when the entity is read from its
//! connection string.
//!
//! A transport run ([`attach`]) proves any AMQP 1.0 broker (RabbitMQ with its AMQP 1.0
//! plugin, ActiveMQ, Artemis, Qpid): connect, SASL, session, a sender link attached to an
//! address and detached, close.
//!
//! ```no_run,standalone_crate
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use health_runtime::checks::fe2o3_amqp::ServiceBus;
//!
//! // One line in a `#[health_check]`, over the `ServiceBus` provided with `health.provide`:
//! #[health_check(name = "servicebus", timeout_ms = 2000)]
//! async fn servicebus(bus: &ServiceBus) -> CheckOutcome {
//!     checks::fe2o3_amqp::peek(bus).await
//! }
//!
//! // Or through the builder, from the connection string the portal shows:
//! let bus = ServiceBus::from_connection_string(&std::env::var("SERVICEBUS_CONNECTION_STRING").unwrap())
//!     .expect("a Service Bus connection string with an EntityPath");
//! let health = Health::builder()
//!     .check(checks::fe2o3_amqp::check_with("servicebus", bus))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

mod connection_string;
mod management;
mod peek;
mod sas;
mod transport;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::pki_types::CertificateDer;

pub use connection_string::{DEFAULT_MAX_PEEK_BYTES, InvalidConnectionString, ServiceBus};
pub use peek::peek;
pub use transport::{attach, attach_trusting};

use crate::check::{Check, ResourceLookup, Resources};

/// The reference article's timeout for the Service Bus check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(2000);

/// A readiness [`Check`] named `name` that peeks the [`ServiceBus`] provided with
/// [`Health::provide`](crate::Health::provide), under [`DEFAULT_TIMEOUT`]. Its key, or
/// the Entra ID token a run uses, is registered for redaction at each run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::fe2o3_amqp::{self, ServiceBus};
///
/// let health = Health::builder().check(fe2o3_amqp::check("servicebus")).build()?;
/// let bus = ServiceBus::from_connection_string(
///     "Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=probe;\
///      SharedAccessKey=c2VjcmV0;EntityPath=orders",
/// )
/// .expect("a valid connection string");
/// health.provide(bus);
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::from_fn(name, |resources: &Resources| {
        let mut lookup = ResourceLookup::new();
        match lookup.require::<ServiceBus>(resources, "ServiceBus") {
            Some(bus) => {
                let secrets = resources.secrets().clone();
                secrets.add(bus.secret());
                Box::pin(async move { peek::peek_registering(&bus, Some(&secrets)).await })
            }
            None => {
                let outcome = lookup.not_initialised();
                Box::pin(async move { outcome })
            }
        }
    })
    .timeout(DEFAULT_TIMEOUT)
}

/// A readiness [`Check`] named `name` that peeks `bus` on every run, under
/// [`DEFAULT_TIMEOUT`]; its key, or the Entra ID token a run uses, is registered for
/// redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::fe2o3_amqp::{self, ServiceBus};
///
/// let bus = ServiceBus::new("orders.servicebus.windows.net", "orders", "probe", "c2VjcmV0");
/// let health = Health::builder().check(fe2o3_amqp::check_with("servicebus", bus)).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, bus: ServiceBus) -> Check {
    let secret = bus.secret().to_owned();
    let bus = Arc::new(bus);
    Check::from_fn(name, move |resources: &Resources| {
        let bus = Arc::clone(&bus);
        let secrets = resources.secrets().clone();
        Box::pin(async move { peek::peek_registering(&bus, Some(&secrets)).await })
    })
    .timeout(DEFAULT_TIMEOUT)
    .secret(secret)
}

/// A readiness [`Check`] named `name` that runs [`attach`] against `url`
/// (`amqp[s]://user:password@host:port`) and `address` on every run; the URL's password is
/// registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::fe2o3_amqp;
///
/// let health = Health::builder()
///     .check(fe2o3_amqp::check_attach("broker", "amqp://guest:guest@127.0.0.1:5672", "orders"))
///     .build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_attach(
    name: impl Into<Cow<'static, str>>,
    url: impl Into<String>,
    address: impl Into<String>,
) -> Check {
    let url: Arc<str> = url.into().into();
    let address: Arc<str> = address.into().into();
    let password = transport::password(&url).unwrap_or_default();
    Check::new(name, move || {
        let (url, address) = (Arc::clone(&url), Arc::clone(&address));
        async move { attach(&url, &address).await }
    })
    .secret(password)
}

/// [`check_attach`], an `amqps://` broker's certificate verified against `roots` only (a
/// private CA, in DER): [`attach_trusting`] on every run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::fe2o3_amqp;
/// use tokio_rustls::rustls::pki_types::CertificateDer;
///
/// fn broker(ca: CertificateDer<'static>) -> Result<Health, health_runtime::ConfigError> {
///     Health::builder()
///         .check(fe2o3_amqp::check_attach_trusting(
///             "broker",
///             "amqps://app:secret@broker.internal:5671",
///             "orders",
///             [ca],
///         ))
///         .build()
/// }
/// # let _ = broker;
/// ```
#[track_caller]
pub fn check_attach_trusting(
    name: impl Into<Cow<'static, str>>,
    url: impl Into<String>,
    address: impl Into<String>,
    roots: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Check {
    let url: Arc<str> = url.into().into();
    let address: Arc<str> = address.into().into();
    let roots = transport::Roots::private(roots);
    let password = transport::password(&url).unwrap_or_default();
    Check::new(name, move || {
        let (url, address, roots) = (Arc::clone(&url), Arc::clone(&address), roots.clone());
        async move { transport::attach_over(&url, &address, &roots).await }
    })
    .secret(password)
}
