//! The HTTP transport: axum handlers rendering what the probe layer decides, content
//! negotiation (JSON or the IETF `application/health+json`), the details policy, and the
//! routes' paths and check selection.

mod codes;
mod details;
mod handlers;
mod history;
mod ietf;
mod negotiate;
mod response;
mod routes;

pub use details::DetailsPolicy;
pub use ietf::HEALTH_JSON;
pub use routes::RouteOptions;

#[cfg(feature = "ui")]
pub(crate) use details::Access;
pub(crate) use handlers::router;
pub(crate) use history::router as history_router;
