//! The axum handlers of the three probes and of single checks.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::report::Verdict;
use crate::routes::RouteOptions;
use crate::runner::run_checks;
use crate::{Check, Health, Probe, Report, ReportStatus};

const STILL_INITIALISING: &str = "Service is still initialising";

/// The shared state of one health router.
pub(crate) struct Endpoints {
    health: Health,
    checks: Vec<Check>,
    started: AtomicBool,
}

type Shared = Arc<Endpoints>;

impl Endpoints {
    pub(crate) fn new(health: Health, checks: Vec<Check>) -> Self {
        let started = !checks.iter().any(|c| c.runs_in(Probe::Startup));
        Endpoints {
            health,
            checks,
            started: AtomicBool::new(started),
        }
    }

    pub(crate) fn into_router<S>(self, options: &RouteOptions) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let readiness_one = format!("{}/{{name}}", options.readiness.trim_end_matches('/'));
        let startup_one = format!("{}/{{name}}", options.startup.trim_end_matches('/'));
        Router::new()
            .route(&options.liveness, get(liveness))
            .route(&options.readiness, get(readiness))
            .route(&readiness_one, get(readiness_one_check))
            .route(&options.startup, get(startup))
            .route(&startup_one, get(startup_one_check))
            .with_state(Arc::new(self))
    }

    fn of<'a>(&'a self, probe: Probe, exclude: &'a Exclusions) -> impl Iterator<Item = &'a Check> {
        self.checks
            .iter()
            .filter(move |c| c.runs_in(probe) && !exclude.contains(c.name()))
    }

    /// Runs the startup checks unless startup already latched; latches when they pass.
    async fn startup_report(&self, exclude: &Exclusions) -> Report {
        if self.started.load(Ordering::Acquire) {
            return Report::new(ReportStatus::Started, Vec::new());
        }
        let results = run_checks(self.of(Probe::Startup, exclude), self.health.resources()).await;
        if Verdict::of(&results) == Verdict::Fail {
            return Report::new(ReportStatus::Starting, results).with_detail(STILL_INITIALISING);
        }
        // A partial run (with exclusions) answers, but only the whole set latches.
        if exclude.is_empty() && !self.started.swap(true, Ordering::AcqRel) {
            tracing::info!("startup checks passed; startup latched");
        }
        Report::new(ReportStatus::Started, results)
    }

    async fn readiness_report(&self, exclude: &Exclusions) -> Report {
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
        let results = run_checks(self.of(Probe::Readiness, exclude), self.health.resources()).await;
        let status = match Verdict::of(&results) {
            Verdict::Pass => ReportStatus::Ready,
            Verdict::Degraded => ReportStatus::Degraded,
            Verdict::Fail => ReportStatus::NotReady,
        };
        Report::with_checks(status, results)
    }

    async fn liveness_report(&self, exclude: &Exclusions) -> Report {
        let results = run_checks(self.of(Probe::Liveness, exclude), self.health.resources()).await;
        let status = match Verdict::of(&results) {
            Verdict::Fail => ReportStatus::Unhealthy,
            Verdict::Pass | Verdict::Degraded => ReportStatus::Alive,
        };
        Report::new(status, results)
    }

    /// Runs one check of `probe` by name: 503 when it is unhealthy, critical or not.
    async fn one_check(&self, probe: Probe, name: &str) -> Response {
        let Some(check) = self.checks.iter().find(|c| c.name() == name) else {
            return self.error(StatusCode::NOT_FOUND, format!("no health check named `{name}`"));
        };
        if !check.runs_in(probe) {
            let runs_in: Vec<_> = check.probe_set().iter().map(Probe::as_str).collect();
            return self.error(
                StatusCode::NOT_FOUND,
                format!(
                    "health check `{name}` does not run in {probe}; it runs in: {}",
                    runs_in.join(", ")
                ),
            );
        }
        let results = run_checks([check], self.health.resources()).await;
        let (pass, fail) = match probe {
            Probe::Startup => (ReportStatus::Started, ReportStatus::Starting),
            Probe::Readiness => (ReportStatus::Ready, ReportStatus::NotReady),
            Probe::Liveness => (ReportStatus::Alive, ReportStatus::Unhealthy),
        };
        let status = if results.iter().all(|r| r.is_healthy()) {
            pass
        } else {
            fail
        };
        report_response(Report::with_checks(status, results))
    }

    /// Parses `?exclude=a,b`; unknown or empty names are a 400.
    fn exclusions(&self, query: Option<&str>) -> Result<Exclusions, Response> {
        let mut names = HashSet::new();
        let Some(query) = query else {
            return Ok(Exclusions(names));
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key != "exclude" {
                continue;
            }
            for name in value.split(',').map(str::trim) {
                if name.is_empty() {
                    return Err(self.error(
                        StatusCode::BAD_REQUEST,
                        "empty check name in `exclude`; expected `?exclude=name1,name2`".into(),
                    ));
                }
                if !self.checks.iter().any(|c| c.name() == name) {
                    return Err(self.error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "unknown check `{name}` in `exclude`; the checks are: {}",
                            self.known_names()
                        ),
                    ));
                }
                names.insert(name.to_owned());
            }
        }
        Ok(Exclusions(names))
    }

    fn known_names(&self) -> String {
        if self.checks.is_empty() {
            return "(none)".to_owned();
        }
        let names: Vec<_> = self.checks.iter().map(Check::name).collect();
        names.join(", ")
    }

    fn error(&self, status: StatusCode, message: String) -> Response {
        json_response(status, serde_json::json!({ "error": message }))
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

fn json_response(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn report_response(report: Report) -> Response {
    json_response(report.status().http_status(), report)
}

async fn liveness(State(endpoints): State<Shared>, RawQuery(query): RawQuery) -> Response {
    match endpoints.exclusions(query.as_deref()) {
        Ok(exclude) => report_response(endpoints.liveness_report(&exclude).await),
        Err(response) => response,
    }
}

async fn readiness(State(endpoints): State<Shared>, RawQuery(query): RawQuery) -> Response {
    match endpoints.exclusions(query.as_deref()) {
        Ok(exclude) => report_response(endpoints.readiness_report(&exclude).await),
        Err(response) => response,
    }
}

async fn startup(State(endpoints): State<Shared>, RawQuery(query): RawQuery) -> Response {
    match endpoints.exclusions(query.as_deref()) {
        Ok(exclude) => report_response(endpoints.startup_report(&exclude).await),
        Err(response) => response,
    }
}

async fn readiness_one_check(
    State(endpoints): State<Shared>,
    Path(name): Path<String>,
) -> Response {
    endpoints.one_check(Probe::Readiness, &name).await
}

async fn startup_one_check(State(endpoints): State<Shared>, Path(name): Path<String>) -> Response {
    endpoints.one_check(Probe::Startup, &name).await
}
