//! The page's drawings, made on the server: a check's latency sparkline and its timeline of
//! statuses. Each carries a text alternative, so the picture is never the only telling.

use std::fmt::Write;

use crate::check::CheckStatus;
use crate::history::Entry;

/// Width of one result in the timeline, in SVG units.
const STEP: usize = 4;
const HEIGHT: usize = 16;

/// A polyline of the latencies of `entries`, scaled to the largest.
pub(super) fn sparkline(entries: &[Entry]) -> String {
    if entries.len() < 2 {
        return String::new();
    }
    let latencies: Vec<f64> = entries
        .iter()
        .map(|entry| entry.latency().as_secs_f64() * 1000.0)
        .collect();
    let max = latencies.iter().copied().fold(0.0, f64::max).max(0.001);
    let min = latencies.iter().copied().fold(f64::INFINITY, f64::min);
    let width = (latencies.len() - 1) * STEP;
    let mut points = String::new();
    for (i, latency) in latencies.iter().enumerate() {
        let y = HEIGHT as f64 - 1.0 - (latency / max) * (HEIGHT as f64 - 2.0);
        let _ = write!(points, "{},{:.1} ", i * STEP, y);
    }
    format!(
        "<svg role=\"img\" aria-label=\"latency of the last {n} runs: {min:.1} to {max:.1} ms\" \
         width=\"{width}\" height=\"{HEIGHT}\" viewBox=\"0 0 {width} {HEIGHT}\">\
         <polyline class=\"spark\" points=\"{points}\"/></svg>",
        n = latencies.len(),
        points = points.trim_end(),
    )
}

/// One bar per result, coloured by status, newest on the right.
pub(super) fn timeline(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let count = |status| entries.iter().filter(|e| e.status() == status).count();
    let (healthy, degraded, unhealthy) = (
        count(CheckStatus::Healthy),
        count(CheckStatus::Degraded),
        count(CheckStatus::Unhealthy),
    );
    let width = entries.len() * STEP;
    let mut bars = String::new();
    for (i, entry) in entries.iter().enumerate() {
        let _ = write!(
            bars,
            "<rect class=\"t-{}\" x=\"{}\" y=\"0\" width=\"{}\" height=\"{HEIGHT}\"/>",
            entry.status().as_str(),
            i * STEP,
            STEP - 1
        );
    }
    format!(
        "<svg role=\"img\" aria-label=\"last {n} results, oldest first: {healthy} healthy, \
         {degraded} degraded, {unhealthy} unhealthy\" width=\"{width}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {width} {HEIGHT}\">{bars}</svg>",
        n = entries.len(),
    )
}
