//! The page's HTML, rendered on the server: the whole document for the first paint, and
//! the part inside `<main>` that the script swaps in. Every piece of text is escaped.

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use super::assets::{SCRIPT, STYLE};
use super::fleet::{Answer, Instance};
use super::snapshot::{CheckView, Snapshot};
use super::svg;
use crate::check::CheckStatus;
use crate::probe::{Report, ReportStatus};

/// How much of the checks a viewer sees, and why not more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lock {
    /// Everything.
    Open,
    /// The probes' states only: a token unlocks the rest. `refused` when a wrong token
    /// was just offered.
    Token { refused: bool },
    /// The probes' states only, whoever asks (`DetailsPolicy::StatusOnly`).
    StatusOnly,
}

/// `text` with HTML's special characters escaped, for text and attribute values alike.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The whole page.
pub(super) fn document(snapshot: &Snapshot, lock: &Lock, path: &str, live_path: &str) -> String {
    let readiness = snapshot.reports.readiness.status().as_str();
    let mut html = String::with_capacity(16 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>Health: {readiness}</title><link rel=\"icon\" href=\"data:,\">\
         <style>{STYLE}</style></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to the status</a>\
         <header><h1>Service health</h1>\
         <p id=\"live-status\">Live updates need JavaScript; reload to refresh.</p>{form}</header>\
         <main id=\"main\" data-live=\"{live}\">{body}</main>\
         <script>{SCRIPT}</script></body></html>",
        form = token_form(lock, path),
        live = escape(live_path),
        body = live(snapshot, lock),
    );
    html
}

/// The form that offers the token, for a viewer a token would unlock the page for.
fn token_form(lock: &Lock, path: &str) -> String {
    let Lock::Token { refused } = lock else {
        return String::new();
    };
    let refused = if *refused {
        "<p class=\"error\" role=\"alert\">That token is not valid.</p>"
    } else {
        ""
    };
    format!(
        "{refused}<form method=\"post\" action=\"{path}\">\
         <label for=\"token\">Token for the details</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>\
         <button type=\"submit\">Show the checks</button></form>",
        path = escape(path),
    )
}

/// What `<main>` holds: swapped in by the script on each change.
pub(super) fn live(snapshot: &Snapshot, lock: &Lock) -> String {
    let mut html = String::with_capacity(8 * 1024);
    states(&mut html, snapshot);
    match lock {
        Lock::Open => {
            checks(&mut html, snapshot);
            transitions(&mut html, snapshot);
            if let Some(fleet) = &snapshot.fleet {
                instances(&mut html, fleet);
            }
        }
        Lock::Token { .. } => html
            .push_str("<p class=\"notice\">The checks are shown to holders of the token only.</p>"),
        Lock::StatusOnly => html
            .push_str("<p class=\"notice\">This service shows the status of its probes only.</p>"),
    }
    html
}

/// The badge class of a probe's or a check's status.
fn tone(passes: bool, degraded: bool) -> &'static str {
    match (passes, degraded) {
        (true, false) => "ok",
        (true, true) => "warn",
        (false, _) => "bad",
    }
}

fn report_badge(report: &Report) -> String {
    let status = report.status();
    let degraded = status == ReportStatus::Degraded;
    let mut badge = format!(
        "<span class=\"badge {}\">{}</span>",
        tone(status.passes(), degraded),
        status.as_str()
    );
    if let Some(reason) = report.reason() {
        let _ = write!(badge, " <span class=\"muted\">{}</span>", escape(reason));
    }
    badge
}

fn states(html: &mut String, snapshot: &Snapshot) {
    let reports = &snapshot.reports;
    let availability = match &snapshot.unavailable {
        Some(reason) => format!(
            "<span class=\"badge bad\">unavailable</span> <span class=\"muted\">{}</span>",
            escape(reason)
        ),
        None => "<span class=\"badge ok\">in rotation</span>".to_owned(),
    };
    let shutdown = if snapshot.shutting_down {
        "<span class=\"badge bad\">shutting down</span>"
    } else {
        "<span class=\"badge ok\">not begun</span>"
    };
    let _ = write!(
        html,
        "<h2 id=\"state\">State</h2><dl class=\"states\" data-readiness=\"{readiness}\">\
         <div><dt>Readiness</dt><dd>{ready}</dd></div>\
         <div><dt>Startup</dt><dd>{startup}</dd></div>\
         <div><dt>Liveness</dt><dd>{liveness}</dd></div>\
         <div><dt>Availability</dt><dd>{availability}</dd></div>\
         <div><dt>Shutdown</dt><dd>{shutdown}</dd></div></dl>\
         <p class=\"muted\">As of <time datetime=\"{at}\">{at}</time>.</p>",
        readiness = reports.readiness.status().as_str(),
        ready = report_badge(&reports.readiness),
        startup = report_badge(&reports.startup),
        liveness = report_badge(&reports.liveness),
        at = time(snapshot.taken_at),
    );
}

fn check_badge(status: Option<CheckStatus>) -> String {
    let (class, text) = match status {
        Some(CheckStatus::Healthy) => ("ok", "✔ healthy"),
        Some(CheckStatus::Degraded) => ("warn", "▲ degraded"),
        Some(CheckStatus::Unhealthy) => ("bad", "✖ unhealthy"),
        None => ("none", "not run yet"),
    };
    format!("<span class=\"badge {class}\">{text}</span>")
}

fn checks(html: &mut String, snapshot: &Snapshot) {
    html.push_str("<h2 id=\"checks\">Checks</h2>");
    if snapshot.checks.is_empty() {
        html.push_str("<p>This service has no checks.</p>");
        return;
    }
    html.push_str(
        "<table><caption>Each check's latest result, its latency and statuses over the last \
         results, and its uptime over the history's window.</caption><thead><tr>\
         <th scope=\"col\">Check</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Latency</th><th scope=\"col\">Timeline</th>\
         <th scope=\"col\">Uptime</th><th scope=\"col\">Error</th></tr></thead><tbody>",
    );
    for check in &snapshot.checks {
        check_row(html, check);
    }
    html.push_str("</tbody></table>");
}

fn check_row(html: &mut String, check: &CheckView) {
    let status = check.current.as_ref().map(|current| current.status);
    let latency = check
        .current
        .as_ref()
        .map_or_else(String::new, |current| milliseconds(current.latency));
    let error = check
        .current
        .as_ref()
        .and_then(|current| current.error.as_deref())
        .map_or_else(String::new, |error| {
            format!("<span class=\"error\">{}</span>", escape(error))
        });
    let uptime = check.uptime.map_or_else(
        || "–".to_owned(),
        |uptime| {
            format!(
                "{:.1}% <span class=\"muted\">of {}</span>",
                uptime * 100.0,
                check.window
            )
        },
    );
    let critical = if check.critical { "" } else { ", non-critical" };
    let name = escape(&check.name);
    let _ = write!(
        html,
        "<tr data-check=\"{name}\" data-status=\"{state}\"><th scope=\"row\">{name}\
         <div class=\"muted\">{probes}{critical}</div></th><td>{badge}</td>\
         <td class=\"num\">{latency}{spark}</td><td>{timeline}</td><td class=\"num\">{uptime}</td>\
         <td>{error}</td></tr>",
        state = status.map_or("none", CheckStatus::as_str),
        probes = escape(&check.probes),
        badge = check_badge(status),
        spark = svg::sparkline(&check.entries),
        timeline = svg::timeline(&check.entries),
    );
}

fn transitions(html: &mut String, snapshot: &Snapshot) {
    html.push_str("<h2 id=\"transitions\">Transitions</h2>");
    if snapshot.transitions.is_empty() {
        html.push_str("<p>None recorded yet.</p>");
        return;
    }
    html.push_str("<ol class=\"transitions\" reversed>");
    for (name, transition) in &snapshot.transitions {
        let from = transition.from().map_or("unknown", CheckStatus::as_str);
        let error = transition.error().map_or_else(String::new, |error| {
            format!(": <span class=\"error\">{}</span>", escape(error))
        });
        let _ = write!(
            html,
            "<li data-transition=\"{name}\" data-to=\"{to}\"><time datetime=\"{at}\">{at}</time> \
             <strong>{name}</strong> {from} → {to}{error}</li>",
            name = escape(name),
            to = transition.to().as_str(),
            at = time(transition.at()),
        );
    }
    html.push_str("</ol>");
}

fn instances(html: &mut String, fleet: &[Instance]) {
    html.push_str(
        "<h2 id=\"fleet\">Instances</h2><table><caption>The readiness of the other instances, \
         asked by this one.</caption><thead><tr><th scope=\"col\">Instance</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Answer</th></tr></thead><tbody>",
    );
    if fleet.is_empty() {
        html.push_str("<tr><td colspan=\"3\">No instance found.</td></tr>");
    }
    for instance in fleet {
        let (badge, detail) = match &instance.answer {
            Answer::Answered {
                code,
                status,
                failing,
                latency,
            } => {
                let status = status.as_deref().unwrap_or("no status");
                let passes = (200..300).contains(code);
                let mut detail = format!("HTTP {code} in {}", milliseconds(*latency));
                if !failing.is_empty() {
                    let _ = write!(detail, "; failing: {}", escape(&failing.join(", ")));
                }
                let badge = format!(
                    "<span class=\"badge {}\">{}</span>",
                    tone(passes, status == "degraded"),
                    escape(status)
                );
                (badge, detail)
            }
            Answer::Unreachable(error) => (
                "<span class=\"badge bad\">unreachable</span>".to_owned(),
                format!("<span class=\"error\">{}</span>", escape(error)),
            ),
            Answer::TimedOut => (
                "<span class=\"badge bad\">unreachable</span>".to_owned(),
                "no answer within the timeout".to_owned(),
            ),
            Answer::NotAsked => (
                "<span class=\"badge none\">not asked</span>".to_owned(),
                "past the first 64 instances".to_owned(),
            ),
        };
        let _ = write!(
            html,
            "<tr data-instance=\"{address}\"><th scope=\"row\">{address}</th><td>{badge}</td>\
             <td>{detail}</td></tr>",
            address = escape(&instance.address),
        );
    }
    html.push_str("</tbody></table>");
}

fn milliseconds(duration: Duration) -> String {
    format!("{:.1} ms", crate::history::milliseconds(duration))
}

fn time(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_what_html_would_read_as_markup() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('x')"> & co"#),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; co"
        );
    }
}
