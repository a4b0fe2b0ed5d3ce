//! The axum handlers of the probes, of single checks and of tag groups. They parse the
//! request, ask the probe layer for a report and render it; every gate lives in the probe
//! layer.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use super::codes::StatusCodes;
use super::details::{Access, DetailsPolicy};
use super::negotiate::{Rendered, VIEWS, View};
use super::response;
use super::routes::RouteOptions;
use crate::probe::{Exclusions, Prober, ReportStatus, Scope, Stamp, Unresolved};
use health_rules::Probe;

const ALIVE: &[u8] = br#"{"status":"alive"}"#;
const STARTED: &[u8] = br#"{"status":"started"}"#;

/// The state of one health router.
struct Routes {
    prober: Arc<Prober>,
    access: Access,
    codes: StatusCodes,
    /// The tags of each group route, in the order of [`RouteOptions::group`].
    groups: Vec<Arc<[String]>>,
    /// The last whole report of liveness (the first [`VIEWS`]) and readiness (the next),
    /// as each view rendered it, with the stamp it was taken under: served again while
    /// the probe's stamp is the same, so that a reused report costs what a constant does.
    rendered: [Mutex<Option<(Stamp, Rendered)>>; 2 * VIEWS],
}

type Shared = Arc<Routes>;

/// The router of the health endpoints over `prober`.
pub(crate) fn router<S>(
    prober: Arc<Prober>,
    details: DetailsPolicy,
    options: &RouteOptions,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let readiness_one = format!("{}/{{name}}", options.readiness);
    let startup_one = format!("{}/{{name}}", options.startup);
    let mut router = Router::new()
        .route(&options.liveness, probe_route(liveness))
        .route(&options.readiness, probe_route(readiness))
        .route(&readiness_one, probe_route(readiness_one_check))
        .route(&options.startup, probe_route(startup))
        .route(&startup_one, probe_route(startup_one_check));
    for (index, (path, _)) in options.groups.iter().enumerate() {
        let group = move |State(routes): State<Shared>, request: Request| async move {
            let tags = Arc::clone(&routes.groups[index]);
            let (parts, _) = request.into_parts();
            routes.serve(Scope::Tags(&tags), &parts).await
        };
        router = router.route(path, probe_route(group));
    }
    // Unknown paths under the health prefix get a JSON 404 too (never the app's root).
    if options.liveness != "/" {
        let unknown = format!("{}/{{*rest}}", options.liveness);
        router = router.route(&unknown, probe_route(unknown_path));
    }
    let groups = options
        .groups
        .iter()
        .map(|(_, tags)| Arc::clone(tags))
        .collect();
    router.with_state(Arc::new(Routes {
        prober,
        access: Access::new(&details),
        codes: options.codes.clone(),
        groups,
        rendered: Default::default(),
    }))
}

impl Routes {
    async fn serve(&self, scope: Scope<'_>, request: &Parts) -> Response {
        let query = request.uri.query();
        let view = View::of(&self.access, &request.headers);
        if let Scope::Probe(probe) = scope
            && query.is_none()
        {
            if !view.ietf
                && let Some(status) = self.prober.settled(probe)
            {
                return constant(status, &self.codes);
            }
            if let Some(response) = self.reused(probe, view).await {
                return response;
            }
        }
        let exclude = match self.exclusions(query) {
            Ok(exclude) => exclude,
            Err(error) => return self.unresolved(StatusCode::BAD_REQUEST, &error, &view),
        };
        view.render(self.prober.report(scope, &exclude).await, &self.codes)
    }

    /// The whole report of `probe` when it runs nothing (every check reuses a fresh
    /// result, no gate answers): the one rendered under the same stamp if there is one,
    /// else a new one, kept for the requests after. `None` when the report would run a
    /// check or a gate answers: it is served the ordinary way.
    async fn reused(&self, probe: Probe, view: View) -> Option<Response> {
        let offset = match probe {
            Probe::Liveness => 0,
            Probe::Readiness => VIEWS,
            Probe::Startup => return None,
        };
        let stamp = self.prober.stamp(probe)?;
        let slot = &self.rendered[offset + view.index()];
        let lock = || slot.lock().unwrap_or_else(|poison| poison.into_inner());
        if let Some((rendered_under, rendered)) = &*lock()
            && *rendered_under == stamp
        {
            return Some(rendered.response());
        }
        let report = self
            .prober
            .report(Scope::Probe(probe), &Exclusions::default())
            .await;
        let rendered = view.rendered(report, &self.codes)?;
        let response = rendered.response();
        *lock() = Some((stamp, rendered));
        Some(response)
    }

    /// One check of `probe` by name: 404 when there is none.
    async fn one_check(&self, probe: Probe, name: &str, request: &Parts) -> Response {
        match self.prober.check(probe, name) {
            Ok(scope) => self.serve(scope, request).await,
            Err(error) => {
                let view = View::of(&self.access, &request.headers);
                self.unresolved(StatusCode::NOT_FOUND, &error, &view)
            }
        }
    }

    /// Parses `?exclude=a,b`.
    fn exclusions(&self, query: Option<&str>) -> Result<Exclusions, Unresolved> {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes());
        let values: Vec<_> = pairs
            .filter(|(key, _)| key == "exclude")
            .map(|(_, value)| value)
            .collect();
        self.prober
            .exclusions(values.iter().flat_map(|value| value.split(',')))
    }

    fn unresolved(&self, status: StatusCode, error: &Unresolved, view: &View) -> Response {
        response::error(status, self.prober.describe(error, view.details))
    }
}

fn constant(status: ReportStatus, codes: &StatusCodes) -> Response {
    let code = codes.of(status);
    match status {
        ReportStatus::Alive => response::constant(code, ALIVE),
        ReportStatus::Started => response::constant(code, STARTED),
        other => unreachable!("only alive and started are settled, not {other:?}"),
    }
}

/// A GET route whose other methods answer 405 with a JSON error.
fn probe_route<H, T>(handler: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    get(handler).fallback(|| async {
        let mut response = response::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "health endpoints answer GET and HEAD only".to_owned(),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        response
    })
}

async fn unknown_path(uri: Uri) -> Response {
    let path: String = uri.path().chars().take(64).collect();
    response::error(
        StatusCode::NOT_FOUND,
        format!("no health endpoint at `{path}`"),
    )
}

async fn liveness(State(routes): State<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    routes.serve(Scope::Probe(Probe::Liveness), &parts).await
}

async fn readiness(State(routes): State<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    routes.serve(Scope::Probe(Probe::Readiness), &parts).await
}

async fn startup(State(routes): State<Shared>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    routes.serve(Scope::Probe(Probe::Startup), &parts).await
}

async fn readiness_one_check(
    State(routes): State<Shared>,
    name: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    one_check(&routes, Probe::Readiness, name, &parts).await
}

async fn startup_one_check(
    State(routes): State<Shared>,
    name: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    one_check(&routes, Probe::Startup, name, &parts).await
}

/// A check name that is not valid UTF-8 once decoded is a JSON 400, like every error.
async fn one_check(
    routes: &Routes,
    probe: Probe,
    name: Result<Path<String>, PathRejection>,
    request: &Parts,
) -> Response {
    match name {
        Ok(Path(name)) => routes.one_check(probe, &name, request).await,
        Err(_) => response::error(
            StatusCode::BAD_REQUEST,
            "the check name in the path is not valid percent-encoded UTF-8".to_owned(),
        ),
    }
}
