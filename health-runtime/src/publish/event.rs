//! What publishers are handed, and its generic JSON form.

use std::time::SystemTime;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::history::Timestamp;
use crate::probe::{Probe, Report};
use crate::run::change::{StatusChange, Subject};

/// One event for the publishers.
///
/// Its JSON (what [`Webhook`](crate::publish::Webhook) posts in its generic form):
///
/// ```json
/// {"event":"status_change","at":"2026-01-02T03:04:05.678Z","check":"redis",
///  "from":"healthy","to":"unhealthy","error":"Timeout after 1000ms"}
/// {"event":"status_change","at":"2026-01-02T03:04:05.678Z","probe":"readiness",
///  "from":"ready","to":"not_ready"}
/// {"event":"report","at":"2026-01-02T03:04:35.000Z","probe":"readiness",
///  "report":{"status":"ready","checks":{"redis":{"healthy":true,"latency_ms":0.4}}}}
/// ```
///
/// Reports carry every check with its (redacted) error, whatever the routes'
/// [`DetailsPolicy`](crate::DetailsPolicy): publishers are the operator's own sinks.
///
/// ```
/// use health_runtime::publish::Event;
///
/// fn headline(event: &Event) -> String {
///     match event {
///         Event::Change { change, .. } => format!("now {}", change.to),
///         Event::Report { report, .. } => format!("report: {}", report.status().as_str()),
///         _ => String::new(),
///     }
/// }
/// # let _ = headline;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A check or a whole probe changed status.
    Change {
        /// What changed, from what to what, with the check's error.
        change: StatusChange,
        /// When the change was seen.
        at: SystemTime,
    },
    /// A probe's report, taken on the publishing schedule.
    Report {
        /// The probe reported on (readiness).
        probe: Probe,
        /// The report, as the probe answered.
        report: Report,
        /// When it was taken.
        at: SystemTime,
    },
}

impl Event {
    /// When the event happened.
    pub fn at(&self) -> SystemTime {
        match self {
            Event::Change { at, .. } | Event::Report { at, .. } => *at,
        }
    }

    /// One line for a person: `check redis: healthy → unhealthy (Timeout after 1000ms)`.
    ///
    /// ```
    /// use health_runtime::publish::Event;
    /// # fn show(event: &Event) { println!("{}", event.summary()); }
    /// ```
    pub fn summary(&self) -> String {
        match self {
            Event::Change { change, .. } => {
                let subject = match &change.subject {
                    Subject::Check(name) => format!("check {name}"),
                    Subject::Probe(probe) => format!("{} probe", probe.as_str()),
                };
                let from = change.from.unwrap_or("unknown");
                let mut line = format!("{subject}: {from} → {}", change.to);
                if let Some(error) = &change.error {
                    line.push_str(&format!(" ({error})"));
                }
                line
            }
            Event::Report { probe, report, .. } => {
                let failing: Vec<_> = report
                    .checks()
                    .iter()
                    .filter(|result| !result.is_healthy())
                    .map(|result| result.name())
                    .collect();
                let mut line = format!("{} report: {}", probe.as_str(), report.status().as_str());
                if !failing.is_empty() {
                    line.push_str(&format!(" (failing: {})", failing.join(", ")));
                }
                line
            }
        }
    }

    /// Whether the event is bad news: a change to anything but healthy, ready, alive or
    /// started, or a report that does not pass.
    pub fn is_failure(&self) -> bool {
        match self {
            Event::Change { change, .. } => {
                !matches!(change.to, "healthy" | "ready" | "alive" | "started")
            }
            Event::Report { report, .. } => !report.status().passes(),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Event::Change { change, at } => {
                map.serialize_entry("event", "status_change")?;
                map.serialize_entry("at", &Timestamp(*at))?;
                match &change.subject {
                    Subject::Check(name) => map.serialize_entry("check", &**name)?,
                    Subject::Probe(probe) => map.serialize_entry("probe", probe.as_str())?,
                }
                map.serialize_entry("from", &change.from)?;
                map.serialize_entry("to", change.to)?;
                if let Some(error) = &change.error {
                    map.serialize_entry("error", error)?;
                }
            }
            Event::Report { probe, report, at } => {
                map.serialize_entry("event", "report")?;
                map.serialize_entry("at", &Timestamp(*at))?;
                map.serialize_entry("probe", probe.as_str())?;
                map.serialize_entry("report", report)?;
            }
        }
        map.end()
    }
}
