//! MQTT with [`rumqttc`] (feature `rumqttc`, with its default features off: the
//! application enables `use-rustls` or `use-native-tls` on its own `rumqttc` for `mqtts`).
//!
//! A run connects with the given [`MqttOptions`] (CONNECT, and the broker's CONNACK:
//! refused credentials are unhealthy with the broker's reason), sends a PINGREQ and waits
//! for the PINGRESP, then disconnects. It holds a connection of its own, so the options
//! need a client id of their own too: a broker drops the older of two connections with
//! the same id, and the check's must not be the application's.
//!
//! ```no_run,standalone_crate
//! use std::time::Duration;
//! use health_runtime::{CheckOutcome, Health, checks, health_check};
//! use rumqttc::MqttOptions;
//!
//! struct Mqtt(MqttOptions);
//!
//! // One line in a `#[health_check]`:
//! #[health_check(name = "mqtt", timeout_ms = 1000)]
//! async fn mqtt(mqtt: &Mqtt) -> CheckOutcome {
//!     checks::rumqttc::connect_ping(&mqtt.0).await
//! }
//!
//! // Or through the builder:
//! let mut options = MqttOptions::new("orders-health", "127.0.0.1", 1883);
//! options.set_credentials("app", "secret");
//! let health = Health::builder()
//!     .check(checks::rumqttc::check_with("mqtt", options).timeout(Duration::from_secs(1)))
//!     .build()
//!     .unwrap();
//! # let _ = health;
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, PingReq, Request};

use super::failure::failed;
use crate::check::{Check, CheckOutcome, ResourceLookup, Resources};

/// Connects with `options`, pings the broker and disconnects.
///
/// ```no_run,standalone_crate
/// use health_runtime::{CheckOutcome, health_check};
///
/// #[health_check(name = "mqtt")]
/// async fn mqtt() -> CheckOutcome {
///     let options = rumqttc::MqttOptions::new("probe", "127.0.0.1", 1883);
///     health_runtime::checks::rumqttc::connect_ping(&options).await
/// }
/// ```
pub async fn connect_ping(options: &MqttOptions) -> CheckOutcome {
    let (client, mut eventloop) = AsyncClient::new(options.clone(), 4);
    let outcome = loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code != ConnectReturnCode::Success => {
                break CheckOutcome::unhealthy(format!(
                    "mqtt: the broker refused the connection: {:?}",
                    ack.code
                ));
            }
            // A new session starts with nothing pending: the ping goes out next.
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                eventloop.pending.push_back(Request::PingReq(PingReq));
            }
            Ok(Event::Incoming(Packet::PingResp)) => break CheckOutcome::healthy(),
            Ok(_) => {}
            Err(error) => break failed("mqtt", &error),
        }
    };
    if outcome.status() == crate::check::CheckStatus::Healthy {
        let _ = client.try_disconnect();
        // Lets the DISCONNECT go out; the broker closes the connection after it.
        let _ = eventloop.poll().await;
    }
    outcome
}

/// A readiness [`Check`] named `name` connecting with the [`MqttOptions`] provided with
/// [`Health::provide`](crate::Health::provide). Their password is registered for
/// redaction at each run.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::rumqttc;
///
/// let health = Health::builder().check(rumqttc::check("mqtt")).build()?;
/// health.provide(::rumqttc::MqttOptions::new("probe", "127.0.0.1", 1883));
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check(name: impl Into<Cow<'static, str>>) -> Check {
    Check::from_fn(name, |resources: &Resources| {
        let mut lookup = ResourceLookup::new();
        match lookup.require::<MqttOptions>(resources, "MqttOptions") {
            Some(options) => {
                if let Some(login) = options.credentials() {
                    resources.secrets().add(&login.password);
                }
                Box::pin(async move { connect_ping(&options).await })
            }
            None => {
                let outcome = lookup.not_initialised();
                Box::pin(async move { outcome })
            }
        }
    })
}

/// A readiness [`Check`] named `name` connecting with `options` on every run; their
/// password is registered for redaction.
///
/// ```
/// use health_runtime::Health;
/// use health_runtime::checks::rumqttc;
///
/// let options = ::rumqttc::MqttOptions::new("probe", "127.0.0.1", 1883);
/// let health = Health::builder().check(rumqttc::check_with("mqtt", options)).build()?;
/// # let _ = health;
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[track_caller]
pub fn check_with(name: impl Into<Cow<'static, str>>, options: MqttOptions) -> Check {
    let password = options.credentials().map(|login| login.password);
    let options = Arc::new(options);
    let check = Check::new(name, move || {
        let options = Arc::clone(&options);
        async move { connect_ping(&options).await }
    });
    match password {
        Some(password) => check.secret(password),
        None => check,
    }
}
