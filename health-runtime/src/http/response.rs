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
    match serialise(body) {
        Some(body) => bytes(status, content_type, body),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `body` as JSON bytes; `None` (logged) when it cannot be serialised.
pub(crate) fn serialise(body: &impl serde::Serialize) -> Option<Bytes> {
    // Sized for a report of a few checks, so that writing it does not regrow the buffer.
    let mut buffer = Vec::with_capacity(512);
    match serde_json::to_writer(&mut buffer, body) {
        Ok(()) => Some(Bytes::from(buffer)),
        Err(error) => {
            tracing::error!(%error, "cannot serialise a health report");
            None
        }
    }
}

/// A JSON body already serialised (shared, not copied).
pub(crate) fn bytes(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    (status, headers(content_type), body).into_response()
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
