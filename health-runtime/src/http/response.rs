//! JSON responses: the headers every health answer carries,
//! and error bodies.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) fn json(
    status: StatusCode,
    content_type: &'static str,
    body: &impl serde::Serialize,
) -> Response {
    // Sized for a report of a few checks, so that writing it does not regrow the buffer.
    let mut buffer = Vec::with_capacity(512);
    if let Err(error) = serde_json::to_writer(&mut buffer, body) {
        tracing::error!(%error, "cannot serialise a health report");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (status, headers(content_type), buffer).into_response()
}

/// A constant JSON body, as the report of a probe with nothing to run would serialise.
pub(crate) fn constant(status: StatusCode, body: &'static [u8]) -> Response {
    (
        status,
        headers("application/json"),
        Bytes::from_static(body),
    )
        .into_response()
}

pub(crate) fn error(status: StatusCode, message: String) -> Response {
    json(
        status,
        "application/json",
        &serde_json::json!({ "error": message }),
    )
}

fn headers(content_type: &'static str) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}
