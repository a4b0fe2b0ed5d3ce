//! A kubelet-faithful probe simulator: runs a real service process as a one-container pod
//! and probes it as the kubelet's prober workers do, restarting it when liveness or startup
//! fails, so scenarios can show what a probe configuration does to a real service.
//!
//! Followed from the kubelet (`pkg/kubelet/prober`):
//! - one worker per probe, probing at once when the container starts and then every
//!   `periodSeconds`; a probe slower than the period delays the next tick (missed ticks
//!   are skipped, as with Go's `time.Ticker`); nothing is probed before
//!   `initialDelaySeconds`;
//! - an HTTP probe opens a fresh connection (no keep-alive), and `timeoutSeconds` bounds
//!   the whole exchange: connect, request and response; 200 ≤ status < 400 is a success,
//!   anything else, a refused connection or a timeout a failure;
//! - a result counts only after `failureThreshold` (or `successThreshold`) identical
//!   results in a row;
//! - readiness starts as failure, liveness as success, startup as unknown; until startup has
//!   succeeded, liveness and readiness are not probed; once it has, startup is not probed;
//! - a liveness or startup failure kills the container and starts a new one (here SIGKILL
//!   and a new process), with every worker back to its initial result.
//!
//! Periods and initial delays are scaled (the `time_scale` of [`Kubelet::new`] is how long
//! one manifest second lasts) so that scenarios run in seconds; timeouts are not, since they
//! bound real responses of the real service.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::Request;
use health_runtime::Probe;
use health_runtime::deploy::{DeclaredProbe, declared_probes};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};

/// The kubelet reads at most this much of a probe's response body.
const MAX_BODY: usize = 10 * 1024;

/// One probe of the pod, with its period and initial delay already scaled.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// Which probe.
    pub probe: Probe,
    /// The `httpGet` path.
    pub path: String,
    /// Scaled `initialDelaySeconds`.
    pub initial_delay: Duration,
    /// Scaled `periodSeconds`.
    pub period: Duration,
    /// `timeoutSeconds`, unscaled.
    pub timeout: Duration,
    /// `successThreshold`.
    pub success_threshold: u64,
    /// `failureThreshold`.
    pub failure_threshold: u64,
}

impl ProbeSpec {
    fn from_declared(declared: &DeclaredProbe, scale: Duration) -> ProbeSpec {
        let scaled = |seconds: u64| scale * u32::try_from(seconds).expect("seconds fit u32");
        ProbeSpec {
            probe: declared.probe,
            path: declared
                .path
                .clone()
                .expect("the simulator runs httpGet probes only"),
            initial_delay: scaled(declared.initial_delay_seconds),
            period: scaled(declared.period_seconds),
            timeout: Duration::from_secs(declared.timeout_seconds),
            success_threshold: declared.success_threshold,
            failure_threshold: declared.failure_threshold,
        }
    }
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response with this status (a success when 200 ≤ status < 400).
    Status(u16),
    /// No response within the timeout.
    TimedOut,
    /// No connection, or the connection broke.
    Error(String),
}

impl Outcome {
    /// Whether the kubelet counts it as a success.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Status(status) if (200..400).contains(status))
    }
}

/// Something that happened to the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Container `n` (0 for the first, 1 after the first restart, ...) was started.
    ContainerStarted(u32),
    /// A probe ran.
    Probed(Probe, Outcome),
    /// Startup succeeded: liveness and readiness begin.
    Started,
    /// The pod entered (`true`) or left the Service endpoints.
    Ready(bool),
    /// The probe crossed its failure threshold and the container was killed.
    Killed(Probe),
    /// SIGTERM was sent, as on pod deletion.
    Terminating,
    /// The process exited on its own.
    Exited(Option<i32>),
}

/// An event and when it happened, from the simulation's start.
#[derive(Debug, Clone)]
pub struct Record {
    /// Time since the simulation started.
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
    /// The kills, with the probe that caused each.
    pub fn kills(&self) -> Vec<Probe> {
        self.events()
            .filter_map(|e| match e {
                Event::Killed(probe) => Some(*probe),
                _ => None,
            })
            .collect()
    }

    /// Whether the pod ever was ready.
    pub fn ever_ready(&self) -> bool {
        self.events().any(|e| *e == Event::Ready(true))
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

    /// The events, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.records.iter().map(|r| &r.event)
    }

    /// When the first event matching `predicate` happened.
    pub fn time_of(&self, predicate: impl Fn(&Event) -> bool) -> Option<Duration> {
        self.records
            .iter()
            .find(|r| predicate(&r.event))
            .map(|r| r.at)
    }

    /// One line for a scenario's output: restarts, and when startup, readiness and exits
    /// happened.
    pub fn summary(&self) -> String {
        let at = |event: Event| {
            self.time_of(|e| *e == event).map_or_else(
                || "never".to_owned(),
                |t| format!("{:.2}s", t.as_secs_f64()),
            )
        };
        let kills: Vec<_> = self
            .records
            .iter()
            .filter_map(|r| match r.event {
                Event::Killed(probe) => Some(format!("{probe} at {:.2}s", r.at.as_secs_f64())),
                _ => None,
            })
            .collect();
        format!(
            "{} probes; started {}; ready {}; unready {}; kills [{}]; exited {}",
            self.events()
                .filter(|e| matches!(e, Event::Probed(..)))
                .count(),
            at(Event::Started),
            at(Event::Ready(true)),
            at(Event::Ready(false)),
            kills.join(", "),
            self.time_of(|e| matches!(e, Event::Exited(_))).map_or_else(
                || "never".to_owned(),
                |t| format!("{:.2}s", t.as_secs_f64())
            ),
        )
    }
}

impl std::fmt::Display for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// A pod of one container running `program`, probed as its manifest says.
pub struct Kubelet {
    program: PathBuf,
    env: HashMap<String, String>,
    probes: Vec<ProbeSpec>,
    addr: SocketAddr,
}

/// The state the workers share with the pod.
struct Shared {
    started_at: Instant,
    container: u32,
    started: bool,
    ready: bool,
    log: Log,
}

impl Shared {
    fn record(&mut self, event: Event) {
        self.log.records.push(Record {
            at: self.started_at.elapsed(),
            container: self.container,
            event,
        });
    }
}

/// What the test asks of a running pod.
enum Control {
    /// SIGTERM, as on pod deletion; SIGKILL after the grace period.
    Terminate(Duration),
    /// SIGKILL, and the simulation ends.
    Stop,
}

/// A running pod: its container process and its prober workers, driven by a task.
pub struct Pod {
    shared: Arc<Mutex<Shared>>,
    control: mpsc::UnboundedSender<Control>,
    task: JoinHandle<()>,
}

impl Kubelet {
    /// A pod running `program` with `PORT` set to a free loopback port, probed as the
    /// first container with probes in `manifest` says, periods scaled so that one manifest
    /// second lasts `time_scale`.
    pub fn new(program: impl Into<PathBuf>, manifest: &str, time_scale: Duration) -> Kubelet {
        let containers = declared_probes(manifest).expect("a manifest with probes");
        let probes = containers[0]
            .probes
            .iter()
            .filter(|p| p.path.is_some())
            .map(|p| ProbeSpec::from_declared(p, time_scale))
            .collect();
        let port = crate::process::free_port();
        let mut env = HashMap::new();
        env.insert("PORT".to_owned(), port.to_string());
        Kubelet {
            program: program.into(),
            env,
            probes,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// Sets an environment variable of the container.
    #[must_use]
    pub fn env(mut self, name: &str, value: impl ToString) -> Self {
        self.env.insert(name.to_owned(), value.to_string());
        self
    }

    /// The probes as they will run.
    pub fn probes(&self) -> &[ProbeSpec] {
        &self.probes
    }

    /// Starts the pod: its first container and its prober workers.
    pub fn start(self) -> Pod {
        let shared = Arc::new(Mutex::new(Shared {
            started_at: Instant::now(),
            container: 0,
            started: false,
            ready: false,
            log: Log::default(),
        }));
        let (control, controls) = mpsc::unbounded_channel();
        let task = tokio::spawn(self.drive(Arc::clone(&shared), controls));
        Pod {
            shared,
            control,
            task,
        }
    }

    /// Restarts the container on every liveness or startup kill and on every exit
    /// (`restartPolicy: Always`), until the test terminates or stops the pod.
    async fn drive(
        self,
        shared: Arc<Mutex<Shared>>,
        mut controls: mpsc::UnboundedReceiver<Control>,
    ) {
        let (kills, mut killed) = mpsc::unbounded_channel();
        let (mut child, mut workers) = self.start_container(&shared, &kills);
        loop {
            tokio::select! {
                Some((container, probe)) = killed.recv() => {
                    if container != shared.lock().unwrap().container {
                        continue;
                    }
                    workers.abort_all();
                    kill(&mut child).await;
                    shared.lock().unwrap().record(Event::Killed(probe));
                }
                status = child.wait() => {
                    workers.abort_all();
                    record_exit(&shared, status.ok());
                }
                control = controls.recv() => {
                    match control {
                        Some(Control::Terminate(grace)) => {
                            shared.lock().unwrap().record(Event::Terminating);
                            if let Some(pid) = child.id() {
                                crate::process::signal(pid as i32, libc::SIGTERM);
                            }
                            // Probes go on while the container drains; a failure no longer
                            // restarts anything.
                            drop(killed);
                            match tokio::time::timeout(grace, child.wait()).await {
                                Ok(status) => record_exit(&shared, status.ok()),
                                Err(_) => kill(&mut child).await,
                            }
                        }
                        Some(Control::Stop) | None => kill(&mut child).await,
                    }
                    workers.abort_all();
                    return;
                }
            }
            let mut state = shared.lock().unwrap();
            state.container += 1;
            state.started = false;
            if state.ready {
                // A new container starts unready: readiness begins as failure again.
                state.ready = false;
                state.record(Event::Ready(false));
            }
            drop(state);
            (child, workers) = self.start_container(&shared, &kills);
        }
    }

    fn start_container(
        &self,
        shared: &Arc<Mutex<Shared>>,
        kills: &mpsc::UnboundedSender<(u32, Probe)>,
    ) -> (Child, JoinSet<()>) {
        let child = Command::new(&self.program)
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.program.display()));
        let mut state = shared.lock().unwrap();
        let container = state.container;
        state.started = !self.probes.iter().any(|p| p.probe == Probe::Startup);
        state.record(Event::ContainerStarted(container));
        drop(state);
        let mut workers = JoinSet::new();
        for spec in &self.probes {
            workers.spawn(worker(
                spec.clone(),
                self.addr,
                Arc::clone(shared),
                kills.clone(),
                container,
            ));
        }
        (child, workers)
    }
}

impl Pod {
    /// What happened so far.
    pub fn log(&self) -> Log {
        self.shared.lock().unwrap().log.clone()
    }

    /// Waits until `predicate` holds on the log; panics with the log after `bound`.
    pub async fn wait_for(
        &self,
        what: &str,
        bound: Duration,
        predicate: impl Fn(&Log) -> bool,
    ) -> Log {
        let deadline = Instant::now() + bound;
        loop {
            let log = self.log();
            if predicate(&log) {
                return log;
            }
            assert!(
                Instant::now() < deadline && !self.task.is_finished(),
                "{what}: not within {bound:?}\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Lets the pod run for `duration`, then returns the log.
    pub async fn run_for(&self, duration: Duration) -> Log {
        tokio::time::sleep(duration).await;
        self.log()
    }

    /// Sends SIGTERM as a pod deletion does, keeps probing while the container drains,
    /// and returns the log once it exited (or was killed after `grace`).
    pub async fn terminate(self, grace: Duration) -> Log {
        let _ = self.control.send(Control::Terminate(grace));
        self.finish(grace).await
    }

    /// Kills the container and returns the log.
    pub async fn stop(self) -> Log {
        let _ = self.control.send(Control::Stop);
        self.finish(Duration::ZERO).await
    }

    async fn finish(mut self, grace: Duration) -> Log {
        let bound = grace + Duration::from_secs(15);
        if tokio::time::timeout(bound, &mut self.task).await.is_err() {
            self.task.abort();
            panic!("the pod did not stop within {bound:?}\n{}", self.log());
        }
        self.log()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        // Dropping the task drops the child, which `kill_on_drop` kills.
        self.task.abort();
    }
}

fn record_exit(shared: &Arc<Mutex<Shared>>, status: Option<ExitStatus>) {
    shared
        .lock()
        .unwrap()
        .record(Event::Exited(status.and_then(|s| s.code())));
}

async fn kill(child: &mut Child) {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}

/// One prober worker for one container.
async fn worker(
    spec: ProbeSpec,
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    kills: mpsc::UnboundedSender<(u32, Probe)>,
    container: u32,
) {
    let container_started = Instant::now();
    // The kubelet's initial results: readiness failure, liveness success, startup unknown.
    let mut current = match spec.probe {
        Probe::Readiness => Some(false),
        Probe::Liveness => Some(true),
        Probe::Startup => None,
    };
    let mut last: Option<bool> = None;
    let mut run = 0u64;
    let mut ticker = tokio::time::interval(spec.period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        ticker.tick().await; // the first tick is immediate
        if container_started.elapsed() < spec.initial_delay {
            continue;
        }
        let started = shared.lock().unwrap().started;
        match spec.probe {
            Probe::Startup if started => return,
            Probe::Liveness | Probe::Readiness if !started => continue,
            _ => {}
        }
        let outcome = http_get(addr, &spec.path, spec.timeout).await;
        let success = outcome.is_success();
        let mut state = shared.lock().unwrap();
        if state.container != container {
            return; // killed while probing
        }
        state.record(Event::Probed(spec.probe, outcome));
        if last == Some(success) {
            run += 1;
        } else {
            last = Some(success);
            run = 1;
        }
        let threshold = if success {
            spec.success_threshold
        } else {
            spec.failure_threshold
        };
        if run < threshold || current == Some(success) {
            continue;
        }
        current = Some(success);
        match (spec.probe, success) {
            (Probe::Readiness, ready) => {
                state.ready = ready;
                state.record(Event::Ready(ready));
            }
            (Probe::Startup, true) => {
                state.started = true;
                state.record(Event::Started);
                return;
            }
            (Probe::Liveness | Probe::Startup, false) => {
                drop(state);
                let _ = kills.send((container, spec.probe));
                return;
            }
            (Probe::Liveness, true) => {}
        }
    }
}

/// `GET path` on a fresh connection, the whole exchange bounded by `timeout`.
pub async fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> Outcome {
    let exchange = async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let request = Request::get(path)
            .header("host", addr.to_string())
            .header("user-agent", "kube-probe/1.34")
            .header("accept", "*/*")
            .header("connection", "close")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        // The kubelet reads (at most 10 KiB of) the body before it judges the status.
        let _ = Limited::new(response.into_body(), MAX_BODY).collect().await;
        Ok::<u16, String>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(status)) => Outcome::Status(status),
        Ok(Err(error)) => Outcome::Error(error),
        Err(_) => Outcome::TimedOut,
    }
}
