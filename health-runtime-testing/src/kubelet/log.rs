//! What happened to a simulated pod, in order, with the time of each event.

use std::fmt;
use std::time::Duration;

use health_runtime::Probe;

use super::outcome::Outcome;

/// Something that happened to the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Container `n` (0 for the first, 1 after the first restart, ...) was started.
    ContainerStarted(u32),
    /// A probe ran.
    Probed(Probe, Outcome),
    /// Startup succeeded: liveness and readiness begin.
    Started,
    /// The container became ready (`true`) or unready, as the kubelet reports it.
    Ready(bool),
    /// The endpoints controller added the pod to (`true`) or removed it from its Services.
    Endpoints(bool),
    /// The probe crossed its failure threshold: the container will be killed and restarted.
    Unhealthy(Probe),
    /// The pod is being deleted (`kubectl delete`, a rollout, a scale-in).
    Deleting,
    /// The `preStop` hook began.
    PreStop,
    /// SIGTERM was sent to the container.
    Sigterm,
    /// SIGKILL was sent: the grace period ran out.
    Sigkill,
    /// The container's process ended, with its exit code (`None` after a signal).
    Exited(Option<i32>),
    /// CrashLoopBackOff: the restart waits this long (in manifest seconds, unscaled).
    BackOff(Duration),
}

/// An event and when it happened, from the simulation's start.
#[derive(Debug, Clone)]
pub struct Record {
    /// Real time since the simulation started.
    pub at: Duration,
    /// The container the event belongs to.
    pub container: u32,
    /// What happened.
    pub event: Event,
}

/// What happened during a simulation.
#[derive(Debug, Clone, Default)]
pub struct Log {
    /// Every event, in order.
    pub records: Vec<Record>,
}

impl Log {
    /// The events, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.records.iter().map(|r| &r.event)
    }

    /// How many times the container was restarted.
    pub fn restarts(&self) -> usize {
        self.events()
            .filter(|e| matches!(e, Event::ContainerStarted(n) if *n > 0))
            .count()
    }

    /// The probes that got the container killed, in order.
    pub fn kills(&self) -> Vec<Probe> {
        self.events()
            .filter_map(|e| match e {
                Event::Unhealthy(probe) => Some(*probe),
                _ => None,
            })
            .collect()
    }

    /// Whether the pod ever was in its Services' endpoints.
    pub fn ever_ready(&self) -> bool {
        self.events().any(|e| *e == Event::Endpoints(true))
    }

    /// Whether startup ever succeeded.
    pub fn ever_started(&self) -> bool {
        self.events().any(|e| *e == Event::Started)
    }

    /// The outcomes of one probe, in order.
    pub fn outcomes(&self, probe: Probe) -> Vec<&Outcome> {
        self.events()
            .filter_map(|e| match e {
                Event::Probed(p, outcome) if *p == probe => Some(outcome),
                _ => None,
            })
            .collect()
    }

    /// The position of the first event matching `predicate`.
    pub fn position(&self, predicate: impl Fn(&Event) -> bool) -> Option<usize> {
        self.records.iter().position(|r| predicate(&r.event))
    }

    /// When the first event matching `predicate` happened.
    pub fn time_of(&self, predicate: impl Fn(&Event) -> bool) -> Option<Duration> {
        self.records
            .iter()
            .find(|r| predicate(&r.event))
            .map(|r| r.at)
    }

    /// One line for a test's output: restarts, and when startup, readiness and exits
    /// happened.
    pub fn summary(&self) -> String {
        let at = |event: Event| {
            self.time_of(|e| *e == event).map_or_else(
                || "never".to_owned(),
                |t| format!("{:.2}s", t.as_secs_f64()),
            )
        };
        format!(
            "{} probes; started {}; in endpoints {}; out {}; kills {:?}; restarts {}; exited {}",
            self.events()
                .filter(|e| matches!(e, Event::Probed(..)))
                .count(),
            at(Event::Started),
            at(Event::Endpoints(true)),
            at(Event::Endpoints(false)),
            self.kills(),
            self.restarts(),
            self.time_of(|e| matches!(e, Event::Exited(_))).map_or_else(
                || "never".to_owned(),
                |t| format!("{:.2}s", t.as_secs_f64())
            ),
        )
    }
}

impl fmt::Display for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for record in &self.records {
            writeln!(
                f,
                "{:>7.3}s  #{}  {:?}",
                record.at.as_secs_f64(),
                record.container,
                record.event
            )?;
        }
        Ok(())
    }
}
