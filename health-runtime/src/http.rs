//! The axum handlers of the probes, of single checks and of tag groups.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::ietf::{self, HEALTH_JSON};
use crate::report::Verdict;
use crate::routes::RouteOptions;
use crate::runner::{Slot, collect, refresh_in_background};
use crate::{Check, CheckResult, Health, Probe, Report, ReportStatus};

const STILL_INITIALISING: &str = "Service is still initialising";
const ALIVE: &[u8] = br#"{"status":"alive"}"#;
const STARTED: &[u8] = br#"{"status":"started"}"#;

/// The shared state of one health router.
pub(crate) struct Endpoints {
    health: Health,
    slots: Arc<[Arc<Slot>]>,
    started: AtomicBool,
    /// The tags of each group route, in the order of [`RouteOptions::group`].
    groups: Vec<Arc<[String]>>,
    /// Whether the background refresh task was started.
    refreshing: AtomicBool,
    /// Whether liveness runs any check (by default it runs none).
    has_liveness_checks: bool,
}

type Shared = Arc<Endpoints>;

/// Which checks a report covers.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Probe(Probe),
    Tags(&'a [String]),
}

impl Endpoints {
    pub(crate) fn new(health: Health, checks: Vec<Check>, options: &RouteOptions) -> Self {
        let started = !checks.iter().any(|c| c.runs_in(Probe::Startup));
        let has_liveness_checks = checks.iter().any(|c| c.runs_in(Probe::Liveness));
        let slots: Arc<[Arc<Slot>]> = checks
            .into_iter()
            .map(|check| {
                let reuse = health.reuse_for(check.name());
                Slot::new(check, reuse)
            })
            .collect();
        let endpoints = Endpoints {
            health,
            slots,
            started: AtomicBool::new(started),
            groups: options
                .groups
                .iter()
                .map(|(_, tags)| tags.clone())
                .collect(),
            refreshing: AtomicBool::new(false),
            has_liveness_checks,
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            endpoints.ensure_background();
        }
        endpoints
    }

    /// Starts the background refresh, once, when configured. Called at construction
    /// inside a runtime, else on the first request.
    fn ensure_background(&self) {
        let Some(period) = self.health.background_period() else {
            return;
        };
        if !self.refreshing.swap(true, Ordering::AcqRel) {
            tokio::spawn(refresh_in_background(
                Arc::downgrade(&self.slots),
                self.health.clone(),
                period,
            ));
        }
    }

    pub(crate) fn into_router<S>(self, options: &RouteOptions) -> Router<S>
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
            let group = move |State(endpoints): State<Shared>, request: Request| async move {
                let tags = Arc::clone(&endpoints.groups[index]);
                endpoints.serve(Scope::Tags(&tags), request).await
            };
            router = router.route(path, probe_route(group));
        }
        // Unknown paths under the health prefix get a JSON 404 too (never the app's root).
        if options.liveness != "/" {
            let unknown = format!("{}/{{*rest}}", options.liveness);
            router = router.route(&unknown, probe_route(unknown_path));
        }
        router.with_state(Arc::new(self))
    }

    fn checks(&self) -> impl Iterator<Item = &Check> {
        self.slots.iter().map(|slot| slot.check())
    }

    /// Runs (or reuses) the checks of `scope` not excluded, concurrently.
    async fn run(&self, scope: Scope<'_>, exclude: &Exclusions) -> Vec<CheckResult> {
        self.ensure_background();
        let resources = self.health.resources();
        let tickets: Vec<_> = self
            .slots
            .iter()
            .filter(|slot| {
                let check = slot.check();
                let in_scope = match scope {
                    Scope::Probe(probe) => check.runs_in(probe),
                    Scope::Tags(tags) => check.has_any_tag(tags),
                };
                in_scope && !exclude.contains(check.name())
            })
            .map(|slot| slot.ticket(resources, false))
            .collect();
        collect(tickets).await
    }

    /// Runs the startup checks unless startup already latched; latches when they pass.
    async fn startup_report(&self, exclude: &Exclusions) -> Report {
        if self.started.load(Ordering::Acquire) {
            return Report::new(ReportStatus::Started, Vec::new());
        }
        let results = self.run(Scope::Probe(Probe::Startup), exclude).await;
        if Verdict::of(&results) == Verdict::Fail {
            return Report::new(ReportStatus::Starting, results).with_detail(STILL_INITIALISING);
        }
        // A partial run (with exclusions) answers, but only the whole set latches.
        if exclude.is_empty() && !self.started.swap(true, Ordering::AcqRel) {
            tracing::info!("startup checks passed; startup latched");
        }
        Report::new(ReportStatus::Started, results)
    }

    /// Readiness, or a tag group: 503 while shutting down or not started.
    async fn readiness_report(&self, scope: Scope<'_>, exclude: &Exclusions) -> Report {
        if self.health.is_shutting_down() {
            return Report::new(ReportStatus::ShuttingDown, Vec::new());
        }
        if !self.started.load(Ordering::Acquire) {
            let startup = self.startup_report(&Exclusions::default()).await;
            if startup.status() != ReportStatus::Started {
                return Report::with_checks(ReportStatus::NotReady, startup.checks().to_vec())
                    .with_detail(STILL_INITIALISING);
            }
        }
        let results = self.run(scope, exclude).await;
        let status = match Verdict::of(&results) {
            Verdict::Pass => ReportStatus::Ready,
            Verdict::Degraded => ReportStatus::Degraded,
            Verdict::Fail => ReportStatus::NotReady,
        };
        Report::with_checks(status, results)
    }

    async fn liveness_report(&self, exclude: &Exclusions) -> Report {
        let results = self.run(Scope::Probe(Probe::Liveness), exclude).await;
        let status = match Verdict::of(&results) {
            Verdict::Fail => ReportStatus::Unhealthy,
            Verdict::Pass | Verdict::Degraded => ReportStatus::Alive,
        };
        Report::new(status, results)
    }

    async fn serve(&self, scope: Scope<'_>, request: Request) -> Response {
        let query = request.uri().query();
        let view = View::of(&self.health, request.headers());
        // A probe with nothing to run answers a constant: no report, no serialisation.
        if query.is_none() && !view.ietf {
            match scope {
                Scope::Probe(Probe::Liveness) if !self.has_liveness_checks => {
                    return constant_response(ALIVE);
                }
                Scope::Probe(Probe::Startup) if self.started.load(Ordering::Acquire) => {
                    return constant_response(STARTED);
                }
                _ => {}
            }
        }
        let exclude = match self.exclusions(query) {
            Ok(exclude) => exclude,
            Err(message) => return error_response(StatusCode::BAD_REQUEST, message),
        };
        let report = match scope {
            Scope::Probe(Probe::Liveness) => self.liveness_report(&exclude).await,
            Scope::Probe(Probe::Startup) => self.startup_report(&exclude).await,
            Scope::Probe(Probe::Readiness) | Scope::Tags(_) => {
                self.readiness_report(scope, &exclude).await
            }
        };
        view.render(report)
    }

    /// Runs one check of `probe` by name: 503 when it is unhealthy, critical or not.
    async fn one_check(&self, probe: Probe, name: &str, headers: &HeaderMap) -> Response {
        let Some(slot) = self.slots.iter().find(|slot| slot.check().name() == name) else {
            return error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "no health check named `{name}`; the checks are: {}",
                    self.known_names()
                ),
            );
        };
        let check = slot.check();
        if !check.runs_in(probe) {
            let runs_in: Vec<_> = check.probe_set().iter().map(Probe::as_str).collect();
            return error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "health check `{name}` does not run in {probe}; it runs in: {}",
                    runs_in.join(", ")
                ),
            );
        }
        let results = collect([slot.ticket(self.health.resources(), false)]).await;
        let (pass, fail) = match probe {
            Probe::Startup => (ReportStatus::Started, ReportStatus::Starting),
            Probe::Readiness => (ReportStatus::Ready, ReportStatus::NotReady),
            Probe::Liveness => (ReportStatus::Alive, ReportStatus::Unhealthy),
        };
        let status = if results.iter().all(CheckResult::is_healthy) {
            pass
        } else {
            fail
        };
        View::of(&self.health, headers).render(Report::with_checks(status, results))
    }

    /// Parses `?exclude=a,b`; unknown or empty names are an error.
    fn exclusions(&self, query: Option<&str>) -> Result<Exclusions, String> {
        let mut names = HashSet::new();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if key != "exclude" {
                continue;
            }
            for name in value.split(',').map(str::trim) {
                if name.is_empty() {
                    return Err(
                        "empty check name in `exclude`; expected `?exclude=name1,name2`".into(),
                    );
                }
                if !self.checks().any(|c| c.name() == name) {
                    return Err(format!(
                        "unknown check `{}` in `exclude`; the checks are: {}",
                        name.chars().take(64).collect::<String>(),
                        self.known_names()
                    ));
                }
                names.insert(name.to_owned());
            }
        }
        Ok(Exclusions(names))
    }

    fn known_names(&self) -> String {
        let names: Vec<_> = self.checks().map(Check::name).collect();
        if names.is_empty() {
            "(none)".to_owned()
        } else {
            names.join(", ")
        }
    }
}

#[derive(Default)]
struct Exclusions(HashSet<String>);

impl Exclusions {
    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How a response is rendered for one request: the format it accepts and how much it may
/// see.
struct View {
    ietf: bool,
    details: bool,
}

impl View {
    fn of(health: &Health, headers: &HeaderMap) -> View {
        View {
            ietf: accepts_health_json(headers),
            details: health.details_policy().shows_details(headers),
        }
    }

    fn render(&self, report: Report) -> Response {
        let status = report.status().http_status();
        if self.ietf {
            let body = ietf::render(&report, self.details);
            return json_response(status, HEALTH_JSON, &body);
        }
        let report = if self.details {
            report
        } else {
            report.status_only()
        };
        json_response(status, "application/json", &report)
    }
}

fn accepts_health_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
            media.eq_ignore_ascii_case(HEALTH_JSON) && !refused
        })
}

fn json_response(
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
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        buffer,
    )
        .into_response()
}

/// A constant JSON body, as the report of a probe with nothing to run would serialise.
fn constant_response(body: &'static [u8]) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Bytes::from_static(body),
    )
        .into_response()
}

fn error_response(status: StatusCode, message: String) -> Response {
    json_response(
        status,
        "application/json",
        &serde_json::json!({ "error": message }),
    )
}

/// A GET route whose other methods answer 405 with a JSON error.
fn probe_route<H, T>(handler: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    get(handler).fallback(|| async {
        let mut response = error_response(
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
    let path: String = uri.path().chars().take(128).collect();
    error_response(
        StatusCode::NOT_FOUND,
        format!("no health endpoint at `{path}`"),
    )
}

async fn liveness(State(endpoints): State<Shared>, request: Request) -> Response {
    endpoints
        .serve(Scope::Probe(Probe::Liveness), request)
        .await
}

async fn readiness(State(endpoints): State<Shared>, request: Request) -> Response {
    endpoints
        .serve(Scope::Probe(Probe::Readiness), request)
        .await
}

async fn startup(State(endpoints): State<Shared>, request: Request) -> Response {
    endpoints.serve(Scope::Probe(Probe::Startup), request).await
}

async fn readiness_one_check(
    State(endpoints): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    endpoints.one_check(Probe::Readiness, &name, &headers).await
}

async fn startup_one_check(
    State(endpoints): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    endpoints.one_check(Probe::Startup, &name, &headers).await
}
