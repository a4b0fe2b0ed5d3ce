//! Counters kept on the benchmark's side, inside each check: how many runs started and how
//! many were in flight at once (the library needs no hook for this).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use health_runtime::serve::ServeCounters;

/// Runs of one check: started, in flight now, and the most in flight at once.
#[derive(Default)]
pub struct Counter {
    runs: AtomicU64,
    in_flight: AtomicI64,
    peak: AtomicI64,
}

/// Held for the duration of one run; dropping it (run finished, or cancelled by a
/// timeout) ends the run.
pub struct Running<'a>(&'a Counter);

impl Counter {
    pub fn enter(&self) -> Running<'_> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.peak.fetch_max(now, Ordering::AcqRel);
        Running(self)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

type Named = Vec<(String, Arc<Counter>)>;

/// Every counter of the process, by name, served as text on `/stats`, with the connection
/// counters of each `health_runtime::serve`.
#[derive(Clone, Default)]
pub struct Counters(Arc<Mutex<Named>>, Arc<Mutex<Vec<(String, ServeCounters)>>>);

impl Counters {
    /// The counter named `name`, created on first use.
    pub fn get(&self, name: &str) -> Arc<Counter> {
        let mut all = self.0.lock().expect("counters lock");
        if let Some((_, counter)) = all.iter().find(|(n, _)| n == name) {
            return Arc::clone(counter);
        }
        let counter = Arc::new(Counter::default());
        all.push((name.to_owned(), Arc::clone(&counter)));
        counter
    }

    /// Serves `counters` on `/stats` as `NAME.accepted` etc.
    pub fn serve(&self, name: &str, counters: ServeCounters) {
        let mut all = self.1.lock().expect("counters lock");
        all.push((name.to_owned(), counters));
    }

    /// One line per counter: `name runs in_flight peak`; for a server's counters,
    /// `name count 0 0`.
    pub fn render(&self) -> String {
        let all = self.0.lock().expect("counters lock");
        let mut text = String::new();
        for (name, serve) in self.1.lock().expect("counters lock").iter() {
            for (what, count) in [
                ("accepted", serve.accepted()),
                ("open", serve.open()),
                ("idle_timeouts", serve.idle_timeouts()),
                ("header_timeouts", serve.header_timeouts()),
                ("evicted", serve.evicted()),
                ("accept_errors", serve.accept_errors()),
            ] {
                let _ = writeln!(text, "{name}.{what} {count} 0 0");
            }
        }
        for (name, counter) in all.iter() {
            let _ = writeln!(
                text,
                "{name} {} {} {}",
                counter.runs.load(Ordering::Relaxed),
                counter.in_flight.load(Ordering::Relaxed),
                counter.peak.load(Ordering::Relaxed)
            );
        }
        text
    }
}
