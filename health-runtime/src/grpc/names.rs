//! The service names of `grpc.health.v1` and what each covers: `""` is readiness (what a
//! plain `grpc_health_probe` asks), `liveness`, `readiness` and `startup` are the probes,
//! and a check's name is that check, gated like the probe it runs in.

use std::collections::BTreeMap;

use crate::check::Check;
use crate::probe::{Prober, Scope};
use health_rules::Probe;

/// The probes by service name; `""` first, as the one every client asks by default.
const PROBES: [(&str, Probe); 4] = [
    ("", Probe::Readiness),
    ("liveness", Probe::Liveness),
    ("readiness", Probe::Readiness),
    ("startup", Probe::Startup),
];

/// The longest piece of a service name echoed in an error.
const MAX_ECHO: usize = 64;

/// The service names of one set of checks.
pub(crate) struct Services {
    /// Each check's name and the probe whose gates apply to it.
    checks: BTreeMap<String, Probe>,
}

impl Services {
    pub(crate) fn new<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Services {
        let mut by_name = BTreeMap::new();
        for check in checks {
            let name = check.name();
            if probe_named(name).is_some() {
                tracing::warn!(
                    check = name,
                    "gRPC service `{name}` is the probe of that name; this check is not a gRPC service of its own"
                );
                continue;
            }
            if let Some(probe) = gate(check) {
                by_name.insert(name.to_owned(), probe);
            }
        }
        Services { checks: by_name }
    }

    /// What `service` covers, or `None` for a name that is no service.
    pub(crate) fn resolve<'p>(&self, prober: &'p Prober, service: &str) -> Option<Scope<'p>> {
        if let Some(probe) = probe_named(service) {
            return Some(Scope::Probe(probe));
        }
        let probe = *self.checks.get(service)?;
        prober.check(probe, service).ok()
    }

    /// Every service name: the probes', then the checks' in name order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        let probes = PROBES.iter().map(|(name, _)| *name);
        probes.chain(self.checks.keys().map(String::as_str))
    }
}

fn probe_named(service: &str) -> Option<Probe> {
    PROBES
        .iter()
        .find(|(name, _)| *name == service)
        .map(|(_, probe)| *probe)
}

/// A check in several probes is gated like readiness, else like startup: what its
/// readiness (or startup) route over HTTP would answer.
fn gate(check: &Check) -> Option<Probe> {
    [Probe::Readiness, Probe::Startup, Probe::Liveness]
        .into_iter()
        .find(|probe| check.runs_in(*probe))
}

/// The error of `Check` on a name that is no service. It names no check, so that a
/// caller learns nothing about the dependencies.
pub(crate) fn not_found(service: &str) -> tonic::Status {
    let echo: String = service.chars().take(MAX_ECHO).collect();
    tonic::Status::not_found(format!(
        "unknown service `{echo}`: the services are \"\" (readiness), `liveness`, `readiness`, \
         `startup` and the name of each health check"
    ))
}
