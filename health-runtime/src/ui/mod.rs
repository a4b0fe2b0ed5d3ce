//! The status page (feature `ui`): what an operator opens when paged — every check's
//! status, latency sparkline, timeline and uptime, the transitions with their errors, the
//! startup latch, availability and shutdown state, and optionally the other instances of
//! the service.
//!
//! One self-contained HTML response at `/health/ui` (configurable with
//! [`HealthBuilder::status_page`](crate::HealthBuilder::status_page)): inline CSS, a small
//! inline script, SVG drawn on the server; nothing is fetched from another origin, and the
//! `Content-Security-Policy` says so (`default-src 'none'`, the script and the style
//! allowed by their SHA-256 hashes, requests to the page's own origin only). The first
//! paint is rendered on the server, so the page works with JavaScript off; with it, the
//! page asks `{path}/live` every 300 ms and swaps in what changed, without a reload.
//! Everything rendered is HTML-escaped (check names, errors), and errors are the reports'
//! own, already redacted.
//!
//! The page obeys the handle's [`DetailsPolicy`]: with
//! `StatusOnly` it shows the probes' states and names no check. With
//! [`DetailsPolicy::full_with_token`](crate::DetailsPolicy::full_with_token), a browser
//! presents the token once — the page's form, or a link `…/health/ui?token=<token>` — and
//! gets a session cookie (`HttpOnly`, `SameSite=Strict`, scoped to the page's path, 12
//! hours, `Secure` behind a proxy that sets `X-Forwarded-Proto: https`, and holding a digest,
//! never the token), then is redirected to the page without the token in its address; a
//! wrong token gets 401 and the status-only page. `Authorization: Bearer <token>` works too.
//!
//! The page takes the probes' reports at most four times a second however many browsers watch
//! it, and reads the rest from the [history](crate::history). Those are real runs of the
//! checks, recorded like the probes' own: while a page is open on a service whose checks run
//! per request, they run up to four times a second and the history's window covers that much
//! less time. A [`cache_ttl`](crate::HealthBuilder::cache_ttl) of a second or more (or
//! [`background`](crate::HealthBuilder::background)) makes the page cost the dependencies
//! nothing beyond that.
//!
//! ```no_run
//! use health_runtime::{DetailsPolicy, Health, health_routes};
//!
//! # async fn run() -> std::io::Result<()> {
//! let health = Health::builder()
//!     .details(DetailsPolicy::full_with_token(std::env::var("HEALTH_TOKEN").unwrap()))
//!     .build()
//!     .unwrap();
//! let app = axum::Router::new().merge(health_routes!(health)); // also serves /health/ui
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8000").await?;
//! health_runtime::serve(listener, app, &health).await
//! # }
//! ```

mod assets;
mod fleet;
mod page;
mod session;
mod snapshot;
mod svg;

pub use fleet::Fleet;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ConfigError;
use crate::history::History;
use crate::http::{Access, DetailsPolicy};
use crate::probe::{HealthState, Prober};
use session::Offered;
use snapshot::Snapshots;

/// Where the page is served unless configured otherwise.
pub const DEFAULT_PATH: &str = "/health/ui";

/// What [`HealthBuilder`](crate::HealthBuilder) collects about the page.
#[derive(Debug, Clone)]
pub(crate) struct PageSettings {
    pub(crate) path: String,
    pub(crate) fleet: Option<Fleet>,
}

impl Default for PageSettings {
    fn default() -> Self {
        PageSettings {
            path: DEFAULT_PATH.to_owned(),
            fleet: None,
        }
    }
}

impl PageSettings {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        health_rules::validate_path(&self.path).map_err(|reason| ConfigError::InvalidPath {
            path: self.path.clone(),
            reason: reason.to_string(),
        })?;
        if self.path == "/" {
            return Err(ConfigError::InvalidPath {
                path: self.path.clone(),
                reason: "the status page needs a path of its own, not the root".to_owned(),
            });
        }
        Ok(())
    }
}

/// What the page's handlers share.
struct Page {
    path: String,
    live_path: String,
    access: Access,
    snapshots: Snapshots,
}

/// The router of the page at `settings.path` and its live fragment at `{path}/live`.
pub(crate) fn router<S>(
    settings: &PageSettings,
    prober: Arc<Prober>,
    state: Arc<HealthState>,
    history: Option<History>,
    details: &DetailsPolicy,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let page = Arc::new(Page {
        path: settings.path.clone(),
        live_path: format!("{}/live", settings.path),
        access: Access::new(details),
        snapshots: Snapshots::new(prober, state, history, settings.fleet.clone()),
    });
    Router::new()
        .route(&page.path, get(full_page).post(token_form))
        .route(&page.live_path, get(live_fragment))
        .with_state(page)
}

impl Page {
    /// Whether the request may see the checks: the details policy, or the page's session
    /// cookie.
    fn shows_details(&self, headers: &HeaderMap) -> bool {
        self.access.shows_details(headers) || session::carried(headers, &self.access)
    }

    /// What the page tells about access when it shows the status only.
    fn lock(&self, headers: &HeaderMap, refused: bool) -> page::Lock {
        if self.shows_details(headers) {
            page::Lock::Open
        } else if self.access.takes_token() {
            page::Lock::Token { refused }
        } else {
            page::Lock::StatusOnly
        }
    }

    async fn render(&self, parts: &Parts, refused: bool) -> Response {
        let lock = self.lock(&parts.headers, refused);
        let snapshot = self.snapshots.take(lock == page::Lock::Open).await;
        let html = page::document(&snapshot, &lock, &self.path, &self.live_path);
        let status = if refused {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        html_response(status, html)
    }

    /// The answer to a token offered by link or form: a session and a redirect to the
    /// page, or 401 and the status-only page.
    async fn exchange(&self, parts: &Parts, offered: &str) -> Response {
        if !self.access.is_token(offered) {
            return self.render(parts, true).await;
        }
        let Some(cookie) = session::cookie(&self.access, &self.path, &parts.headers) else {
            return self.render(parts, false).await;
        };
        let mut response = StatusCode::SEE_OTHER.into_response();
        let headers = response.headers_mut();
        if let Ok(location) = HeaderValue::from_str(&self.path) {
            headers.insert(header::LOCATION, location);
        }
        headers.insert(header::SET_COOKIE, cookie);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

async fn full_page(State(page): State<Arc<Page>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    match session::offered_in_query(parts.uri.query()) {
        Offered::Token(token) => page.exchange(&parts, &token).await,
        Offered::Nothing => page.render(&parts, false).await,
    }
}

async fn token_form(State(page): State<Arc<Page>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 4096).await else {
        return page.render(&parts, true).await;
    };
    match session::offered_in_form(&body) {
        Offered::Token(token) => page.exchange(&parts, &token).await,
        Offered::Nothing => page.render(&parts, true).await,
    }
}

async fn live_fragment(State(page): State<Arc<Page>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let lock = page.lock(&parts.headers, false);
    let snapshot = page.snapshots.take(lock == page::Lock::Open).await;
    html_response(StatusCode::OK, page::live(&snapshot, &lock))
}

/// An HTML answer with the page's security headers.
fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, Body::from(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        assets::content_security_policy(),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
