//! The history as JSON: what `GET /health/history` answers with the details policy's
//! consent.
//!
//! ```json
//! {"capacity":256,"checks":{"redis":{"uptime":0.5,
//!   "results":[{"at":"2026-01-02T03:04:05.678Z","status":"unhealthy","latency_ms":1000.2,
//!               "probe":"readiness","error":"Timeout after 1000ms"}],
//!   "transitions":[{"at":"2026-01-02T03:04:05.678Z","from":"healthy","to":"unhealthy",
//!                   "error":"Timeout after 1000ms"}]}}}
//! ```

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::check::{CheckHistory, Entry, Transition, uptime_of};
use super::registry::History;

impl Serialize for History {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("capacity", &self.capacity())?;
        map.serialize_entry("checks", &Checks(&self.checks()))?;
        map.end()
    }
}

struct Checks<'a>(&'a [std::sync::Arc<CheckHistory>]);

impl Serialize for Checks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|check| (check.name(), &**check)))
    }
}

impl Serialize for CheckHistory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // One copy taken under the lock, so that uptime, results and transitions agree.
        let entries = self.entries();
        let transitions = self.transitions();
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("uptime", &uptime_of(entries.iter()))?;
        map.serialize_entry("results", &entries)?;
        map.serialize_entry("transitions", &transitions)?;
        map.end()
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("at", &Timestamp(self.at))?;
        map.serialize_entry("status", self.status.as_str())?;
        map.serialize_entry("latency_ms", &milliseconds(self.latency))?;
        map.serialize_entry("probe", self.ran_by.as_str())?;
        if let Some(error) = &self.error {
            map.serialize_entry("error", &**error)?;
        }
        map.end()
    }
}

impl Serialize for Transition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("at", &Timestamp(self.at))?;
        map.serialize_entry("from", &self.from.map(|status| status.as_str()))?;
        map.serialize_entry("to", self.to.as_str())?;
        if let Some(error) = &self.error {
            map.serialize_entry("error", &**error)?;
        }
        map.end()
    }
}

/// RFC 3339 in UTC, to the millisecond.
pub(crate) struct Timestamp(pub(crate) SystemTime);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&humantime::format_rfc3339_millis(self.0))
    }
}

/// Milliseconds rounded to 0.1 ms, as the reports show latencies.
pub(crate) fn milliseconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}
