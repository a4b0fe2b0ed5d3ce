//! The IETF health-check response format (`application/health+json`,
//! draft-inadarei-api-health-check): status `pass`/`warn`/`fail`, checks keyed
//! `name:responseTime`.

use serde_json::{Map, Value, json};

use crate::check::CheckStatus;
use crate::probe::{Report, ReportStatus};
use crate::run::CheckResult;

/// The media type of the IETF format: a request whose `Accept` names it gets the report
/// as `{"status":"pass","checks":{"db:responseTime":[{...}]}}`.
///
/// ```
/// assert_eq!(health_runtime::http::HEALTH_JSON, "application/health+json");
/// ```
pub const HEALTH_JSON: &str = "application/health+json";

/// Renders `report` in the IETF format; `details` false keeps only the status.
pub(crate) fn render(report: &Report, details: bool) -> Value {
    let status = match report.status() {
        ReportStatus::Alive | ReportStatus::Started | ReportStatus::Ready => "pass",
        ReportStatus::Degraded => "warn",
        ReportStatus::Unhealthy
        | ReportStatus::Starting
        | ReportStatus::NotReady
        | ReportStatus::ShuttingDown
        | ReportStatus::Unavailable
        | ReportStatus::Broken => "fail",
    };
    let mut body = Map::new();
    body.insert("status".into(), status.into());
    body.insert("description".into(), report.status().as_str().into());
    if !details {
        return Value::Object(body);
    }
    if let Some(output) = report.reason().or(report.detail()) {
        body.insert("output".into(), output.into());
    }
    if !report.checks().is_empty() {
        let checks: Map<String, Value> = report
            .checks()
            .iter()
            .map(|check| {
                (
                    format!("{}:responseTime", check.name()),
                    json!([entry(check)]),
                )
            })
            .collect();
        body.insert("checks".into(), Value::Object(checks));
    }
    Value::Object(body)
}

fn entry(check: &CheckResult) -> Value {
    let status = match (check.status(), check.is_critical()) {
        (CheckStatus::Healthy, _) => "pass",
        (CheckStatus::Degraded, _) | (CheckStatus::Unhealthy, false) => "warn",
        (CheckStatus::Unhealthy, true) => "fail",
    };
    let mut entry = Map::new();
    entry.insert("componentId".into(), check.name().into());
    entry.insert("observedValue".into(), check.latency_ms().into());
    entry.insert("observedUnit".into(), "ms".into());
    entry.insert("status".into(), status.into());
    entry.insert(
        "time".into(),
        humantime::format_rfc3339_millis(check.finished_at())
            .to_string()
            .into(),
    );
    if let Some(output) = check.error() {
        entry.insert("output".into(), output.into());
    }
    Value::Object(entry)
}
