//! The HTTP transport: axum handlers rendering what the probe layer decides, content
//! negotiation (JSON or the IETF `application/health+json`), the details policy, and the
//! routes' paths and check selection.

mod codes;
mod details;
mod handlers;
mod ietf;
mod negotiate;
mod response;
mod routes;
mod serve;

pub use details::DetailsPolicy;
pub use ietf::HEALTH_JSON;
pub use routes::RouteOptions;
pub use serve::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, Serve,
};

pub(crate) use handlers::router;
pub(crate) use serve::ServeHealth;
