//! Built-in checks of common dependencies, each written with the same public API a user
//! has ([`Check`](crate::Check), [`CheckOutcome`](crate::CheckOutcome)) and each behind
//! the cargo feature named after the client crate it uses.
//!
//! | module | feature | what a run does |
//! |---|---|---|
//! | [`tcp`] | none (only `tokio/net`, which axum already enables) | opens a TCP connection |
//! | [`dns`] | none | resolves a host name with the system resolver |
//! | [`disk`] | none | free space of a path's filesystem, warn and fail thresholds |
//! | [`memory`] | none | the container's memory (cgroup v2), else the process's RSS, warn and fail thresholds |
//! | [`liveness`] | none | what a restart fixes: a worker that stopped making progress ([`liveness::Heartbeat`]), a runtime that stopped scheduling ([`liveness::RuntimeWatchdog`]) |
//! | `tokio_postgres` | `tokio-postgres` | `SELECT 1` on a `tokio_postgres::Client`, or on a fresh connection |
//! | `deadpool_postgres` | `deadpool-postgres` | takes a connection from a `deadpool_postgres::Pool`, then `SELECT 1` |
//! | `sqlx` | `sqlx` | `SELECT 1` on a `sqlx::PgPool` |
//! | `sqlx_mysql` | `sqlx-mysql` | `SELECT 1` on a `sqlx::MySqlPool` (MySQL, MariaDB) |
//! | `redis` | `redis` | `PING` on a `ConnectionManager`, a `MultiplexedConnection` or a fresh connection of a `redis::Client` |
//! | `lapin` | `lapin` | RabbitMQ: a channel opened and closed, a queue declared passively |
//! | `async_nats` | `async-nats` | NATS: connection state and a round trip through an inbox |
//! | `rumqttc` | `rumqttc` | MQTT: connect, ping, disconnect |
//! | `fe2o3_amqp` | `fe2o3-amqp` | Azure Service Bus: CBS token and a peek; any AMQP 1.0 broker: a link attached |
//! | `hyper` | `hyper` | `GET` with headers on a plain-HTTP `hyper-util` client, accepted statuses checked |
//! | `reqwest` | `reqwest` | the same `GET` on the application's own `reqwest::Client` |
//! | `openai` | `hyper` or `reqwest` | the model-list targets of Azure OpenAI and OpenAI |
//! | `rustls` | `rustls` | a TLS handshake verified by rustls, and the certificate's expiry |
//! | `azure_identity` | `azure-identity` | Entra ID tokens (managed identity, workload identity) for the Service Bus and Azure OpenAI checks |
//!
//! Every module offers the same three shapes:
//!
//! - an `async fn` that runs the check once and returns a
//!   [`CheckOutcome`](crate::CheckOutcome), the one line a `#[health_check]` body needs:
//!   `checks::redis::ping(&mut conn.clone()).await`;
//! - `check(name)`, a [`Check`](crate::Check) over the resource provided with
//!   [`Health::provide`](crate::Health::provide), reporting `"<Type> not initialised"`
//!   until it is provided;
//! - `check_with(name, client)`, a [`Check`](crate::Check) over a client it owns.
//!
//! None of them has a timeout of its own: the runner bounds every run by the check's
//! timeout (reported as `Timeout after {N}ms`, never as a client's shorter timeout), and
//! time spent waiting for a pooled connection counts toward it. Their error
//! messages go through the same redaction as every check's: passwords, tokens and API
//! keys never reach a response.

pub mod disk;
pub mod dns;
pub mod liveness;
pub mod memory;
pub mod tcp;
mod units;

#[cfg(any(feature = "hyper", feature = "reqwest"))]
mod http_target;
#[cfg(any(feature = "hyper", feature = "reqwest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "hyper", feature = "reqwest"))))]
pub use http_target::HttpTarget;
#[cfg(any(feature = "hyper", feature = "reqwest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "hyper", feature = "reqwest"))))]
pub mod openai;

#[cfg(feature = "async-nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-nats")))]
pub mod async_nats;
#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub mod azure_identity;
#[cfg(feature = "deadpool-postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "deadpool-postgres")))]
pub mod deadpool_postgres;
#[cfg(feature = "fe2o3-amqp")]
#[cfg_attr(docsrs, doc(cfg(feature = "fe2o3-amqp")))]
pub mod fe2o3_amqp;
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub mod hyper;
#[cfg(feature = "lapin")]
#[cfg_attr(docsrs, doc(cfg(feature = "lapin")))]
pub mod lapin;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod reqwest;
#[cfg(feature = "rumqttc")]
#[cfg_attr(docsrs, doc(cfg(feature = "rumqttc")))]
pub mod rumqttc;
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub mod rustls;
#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub mod sqlx;
#[cfg(feature = "sqlx-mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx-mysql")))]
pub mod sqlx_mysql;
#[cfg(feature = "tokio-postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-postgres")))]
pub mod tokio_postgres;

#[cfg(any(feature = "sqlx", feature = "sqlx-mysql", feature = "redis"))]
mod credentials;
#[cfg(any(feature = "sqlx", feature = "sqlx-mysql"))]
mod sqlx_pool;

#[cfg(any(
    feature = "tokio-postgres",
    feature = "deadpool-postgres",
    feature = "sqlx",
    feature = "sqlx-mysql",
    feature = "redis",
    feature = "hyper",
    feature = "reqwest",
    feature = "lapin",
    feature = "async-nats",
    feature = "rumqttc",
    feature = "fe2o3-amqp",
    feature = "azure-identity"
))]
mod failure;
