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

pub use details::DetailsPolicy;
pub use ietf::HEALTH_JSON;
pub use routes::RouteOptions;

pub(crate) use handlers::router;
