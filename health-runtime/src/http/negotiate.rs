//! How a response is rendered for one request: the format its `Accept` header prefers
//! and how much of the report it may see.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::codes::StatusCodes;
use super::details::Access;
use super::ietf::{self, HEALTH_JSON};
use super::response;
use crate::probe::Report;

/// The rendering one request gets.
#[derive(Clone, Copy)]
pub(crate) struct View {
    pub(crate) ietf: bool,
    pub(crate) details: bool,
}

impl View {
    pub(crate) fn of(access: &Access, headers: &HeaderMap) -> View {
        View {
            ietf: prefers_health_json(headers),
            details: access.shows_details(headers),
        }
    }

    pub(crate) fn render(&self, report: Report, codes: &StatusCodes) -> Response {
        match self.rendered(report, codes) {
            Some(rendered) => rendered.response(),
            None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }

    /// `report` rendered for this view, ready to be served again; `None` (logged) when
    /// it cannot be serialised.
    pub(crate) fn rendered(&self, report: Report, codes: &StatusCodes) -> Option<Rendered> {
        let status = codes.of(report.status());
        let (content_type, body) = if self.ietf {
            (
                HEALTH_JSON,
                response::serialise(&ietf::render(&report, self.details))?,
            )
        } else if self.details {
            ("application/json", response::serialise(&report)?)
        } else {
            (
                "application/json",
                response::serialise(&report.status_only())?,
            )
        };
        Some(Rendered {
            status,
            content_type,
            body,
        })
    }

    /// Which of the [`VIEWS`] renderings of one report this is.
    pub(crate) fn index(&self) -> usize {
        usize::from(self.ietf) * 2 + usize::from(self.details)
    }
}

/// How many renderings of one report the views make: JSON or IETF, with details or not.
pub(crate) const VIEWS: usize = 4;

/// A report rendered for one view: the status code, the media type and the body.
#[derive(Clone)]
pub(crate) struct Rendered {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
}

impl Rendered {
    /// The response, sharing the body's bytes.
    pub(crate) fn response(&self) -> Response {
        response::bytes(self.status, self.content_type, self.body.clone())
    }
}

/// Whether the request prefers the IETF format: `application/health+json` accepted with a
/// quality above zero and at least that of `application/json`. Wildcards never select it.
fn prefers_health_json(headers: &HeaderMap) -> bool {
    let mut health_json: Option<f32> = None;
    let mut json: Option<f32> = None;
    let ranges = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for range in ranges {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let quality = parts
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, q)| q.trim().parse::<f32>().ok())
            .unwrap_or(0.0);
        let slot = if media.eq_ignore_ascii_case(HEALTH_JSON) {
            &mut health_json
        } else if media.eq_ignore_ascii_case("application/json") {
            &mut json
        } else {
            continue;
        };
        *slot = Some(slot.map_or(quality, |q| q.max(quality)));
    }
    match health_json {
        Some(q) if q > 0.0 => json.is_none_or(|json| q >= json),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn quality_values_decide() {
        assert!(prefers_health_json(&accept("application/health+json")));
        assert!(prefers_health_json(&accept("application/health+json, */*")));
        assert!(prefers_health_json(&accept(
            "application/json;q=0.5, application/health+json"
        )));
        assert!(!prefers_health_json(&accept("application/health+json;q=0")));
        assert!(!prefers_health_json(&accept(
            "application/health+json;q=0.000"
        )));
        assert!(!prefers_health_json(&accept(
            "application/health+json;q=0.5, application/json;q=0.9"
        )));
        assert!(!prefers_health_json(&accept(
            "application/health+json;q=bogus"
        )));
        assert!(!prefers_health_json(&accept("*/*")));
        assert!(!prefers_health_json(&HeaderMap::new()));
    }
}
