//! `GET /health/history`: every check's recent results, transitions and uptime as JSON,
//! for whoever the details policy shows the full report to; `?check=name` for one check.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use super::details::{Access, DetailsPolicy};
use super::response;
use crate::history::History;

struct Served {
    history: History,
    access: Access,
}

/// The router of the history route at `path`.
pub(crate) fn router<S>(history: History, details: &DetailsPolicy, path: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let served = Arc::new(Served {
        history,
        access: Access::new(details),
    });
    Router::new().route(path, get(serve)).with_state(served)
}

async fn serve(State(served): State<Arc<Served>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !served.access.shows_details(&parts.headers) {
        return refused(&served.access);
    }
    let query = parts.uri.query().unwrap_or_default();
    let wanted = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "check")
        .map(|(_, name)| name.into_owned());
    match wanted {
        None => response::json(StatusCode::OK, "application/json", &served.history),
        Some(name) => match served.history.check(&name) {
            Some(check) => response::json(StatusCode::OK, "application/json", &*check),
            None => {
                let name: String = name.chars().take(64).collect();
                response::error(
                    StatusCode::NOT_FOUND,
                    format!("no health check named `{name}` in the history"),
                )
            }
        },
    }
}

/// What a caller without access gets: no check is named.
fn refused(access: &Access) -> Response {
    if access.takes_token() {
        let mut response = response::error(
            StatusCode::UNAUTHORIZED,
            "the history needs `Authorization: Bearer <token>`".to_owned(),
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    response::error(
        StatusCode::FORBIDDEN,
        "the history is not public: the details policy shows the status only".to_owned(),
    )
}
