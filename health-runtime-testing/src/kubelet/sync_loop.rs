//! The pod's sync loop: what the kubelet's pod worker, `prober_manager.go`
//! (`UpdatePodStatus`), `kuberuntime` (`killContainer`, `doBackOff`) and the endpoints
//! controller do with the prober workers' results.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_runtime::Probe;
use tokio::process::Command;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backoff::Backoff;
use super::log::Event;
use super::state::{Message, ProbeResult, ProbeSpec, Shared};
use super::worker::Worker;

/// `minimumGracePeriodInSeconds`: SIGTERM always gets at least this long before SIGKILL.
const MINIMUM_GRACE: Duration = Duration::from_secs(2);

/// The container and pod settings the loop needs.
pub(crate) struct PodSpec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    /// Where the containers' stdout and stderr are appended (discarded without).
    pub(crate) logs: Option<PathBuf>,
    pub(crate) probes: Vec<ProbeSpec>,
    pub(crate) grace: Duration,
    pub(crate) pre_stop: Option<Duration>,
}

/// How far a container's stop has come.
enum Stopping {
    /// Running as usual.
    No,
    /// The `preStop` hook runs until then; SIGTERM follows with the grace left.
    PreStop {
        until: Instant,
        grace_left: Duration,
    },
    /// SIGTERM was sent; SIGKILL at this instant.
    Term { kill_at: Instant },
    /// SIGKILL was sent.
    Killed,
}

/// The sync loop of one pod: its prober workers' results in, containers started, killed
/// and restarted out.
pub(crate) struct SyncLoop {
    pub(crate) spec: PodSpec,
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) messages: mpsc::UnboundedSender<Message>,
    inbox: mpsc::UnboundedReceiver<Message>,
    results: HashMap<Probe, ProbeResult>,
    triggers: HashMap<Probe, Arc<Notify>>,
    workers: HashMap<Probe, JoinHandle<()>>,
    pid: Option<i32>,
    stopping: Stopping,
    restart_at: Option<Instant>,
    backoff: Backoff,
    waiting: Vec<oneshot::Sender<()>>,
    container_tasks: Vec<JoinHandle<()>>,
}

impl SyncLoop {
    pub(crate) fn new(spec: PodSpec, shared: Arc<Mutex<Shared>>) -> SyncLoop {
        let (messages, inbox) = mpsc::unbounded_channel();
        SyncLoop {
            spec,
            shared,
            messages,
            inbox,
            results: HashMap::new(),
            triggers: HashMap::new(),
            workers: HashMap::new(),
            pid: None,
            stopping: Stopping::No,
            restart_at: Some(Instant::now()),
            backoff: Backoff::default(),
            waiting: Vec::new(),
            container_tasks: Vec::new(),
        }
    }

    /// `AddPod`, then the sync loop until the pod is gone.
    pub(crate) async fn run(mut self) {
        for spec in self.spec.probes.clone() {
            let trigger = Arc::new(Notify::new());
            let worker = Worker::new(
                spec.clone(),
                self.shared.clone(),
                self.messages.clone(),
                trigger.clone(),
            );
            self.triggers.insert(spec.probe, trigger);
            self.workers.insert(spec.probe, tokio::spawn(worker.run()));
        }
        loop {
            let deadline = self.next_deadline();
            let message = tokio::select! {
                message = self.inbox.recv() => message,
                () = sleep_until(deadline) => None,
            };
            match message {
                Some(message) => {
                    if self.handle(message) {
                        break;
                    }
                }
                None => self.on_timer(),
            }
        }
        self.finish();
    }

    fn next_deadline(&self) -> Option<Instant> {
        match self.stopping {
            Stopping::PreStop { until, .. } => Some(until),
            Stopping::Term { kill_at } => Some(kill_at),
            _ => self.restart_at,
        }
    }

    /// Handles one message; whether the pod is gone.
    fn handle(&mut self, message: Message) -> bool {
        match message {
            Message::Result {
                probe,
                container,
                result,
            } => {
                if container == self.shared.lock().unwrap().container {
                    self.on_result(probe, result);
                }
                false
            }
            Message::Exited { container, code } => self.on_exit(container, code),
            Message::Delete(done) => {
                self.waiting.push(done);
                self.on_delete()
            }
            Message::Stop(done) => {
                self.waiting.push(done);
                if let Some(pid) = self.pid {
                    signal(pid, libc::SIGKILL);
                }
                true
            }
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        match self.stopping {
            Stopping::PreStop { until, grace_left } if now >= until => self.sigterm(grace_left),
            Stopping::Term { kill_at } if now >= kill_at => {
                self.record(Event::Sigkill);
                if let Some(pid) = self.pid {
                    signal(pid, libc::SIGKILL);
                }
                self.stopping = Stopping::Killed;
            }
            _ => {
                if self.restart_at.is_some_and(|at| now >= at) {
                    self.restart_at = None;
                    self.start_container();
                }
            }
        }
    }

    /// A probe result changed what the pod looks like: the kubelet syncs the pod.
    fn on_result(&mut self, probe: Probe, result: ProbeResult) {
        if self.results.insert(probe, result) == Some(result) {
            return; // `setInternal` reports no change
        }
        if (probe, result) == (Probe::Liveness, ProbeResult::Success) {
            return; // the kubelet syncs a pod on liveness failures only
        }
        let killing = !matches!(self.stopping, Stopping::No);
        match (probe, result) {
            (Probe::Startup, ProbeResult::Success) => {
                let mut state = self.shared.lock().unwrap();
                if !state.started {
                    state.started = true;
                    state.record(Event::Started);
                }
            }
            (Probe::Liveness | Probe::Startup, ProbeResult::Failure) if !killing => {
                let running = self.shared.lock().unwrap().running;
                if running {
                    self.record(Event::Unhealthy(probe));
                    self.kill_container(self.spec.grace);
                }
            }
            _ => {}
        }
        self.update_pod_status();
    }

    /// `UpdatePodStatus`: started and ready as the prober manager computes them, the
    /// readiness probe triggered at once while a started container is not ready, and the
    /// endpoints as the endpoints controller derives them.
    fn update_pod_status(&mut self) {
        let has_startup = self.triggers.contains_key(&Probe::Startup);
        let has_readiness = self.triggers.contains_key(&Probe::Readiness);
        let readiness = self.results.get(&Probe::Readiness).copied();
        let mut state = self.shared.lock().unwrap();
        if !has_startup && state.running && !state.started {
            state.started = true;
        }
        let started = state.running && state.started;
        let ready = started && (!has_readiness || readiness == Some(ProbeResult::Success));
        if started
            && !ready
            && let Some(trigger) = self.triggers.get(&Probe::Readiness)
        {
            trigger.notify_one();
        }
        if ready != state.ready {
            state.ready = ready;
            state.record(Event::Ready(ready));
        }
        // A pod being deleted leaves its Services whatever its readiness says.
        let in_endpoints = ready && !state.deleting;
        if in_endpoints != state.in_endpoints {
            state.in_endpoints = in_endpoints;
            state.record(Event::Endpoints(in_endpoints));
        }
    }

    fn on_exit(&mut self, container: u32, code: Option<i32>) -> bool {
        let deleting = {
            let mut state = self.shared.lock().unwrap();
            if state.container != Some(container) {
                return false;
            }
            state.running = false;
            state.record(Event::Exited(code));
            state.deleting
        };
        self.pid = None;
        self.stopping = Stopping::No;
        self.update_pod_status();
        if deleting {
            return true;
        }
        // restartPolicy Always, through CrashLoopBackOff.
        let (finished, scale) = {
            let state = self.shared.lock().unwrap();
            (state.manifest_now(), state.scale)
        };
        let wait = self.backoff.wait(finished);
        if !wait.is_zero() {
            self.record(Event::BackOff(wait));
        }
        self.backoff.next(finished, finished + wait);
        self.restart_at = Some(Instant::now() + wait.mul_f64(scale.as_secs_f64()));
        false
    }

    /// Pod deletion: out of the endpoints at once, liveness and startup stopped with a
    /// last success (`StopLivenessAndStartup`), the container killed with the pod's grace
    /// period; readiness goes on until the container is gone.
    fn on_delete(&mut self) -> bool {
        {
            let mut state = self.shared.lock().unwrap();
            state.deleting = true;
            state.record(Event::Deleting);
        }
        for probe in [Probe::Liveness, Probe::Startup] {
            if let Some(worker) = self.workers.remove(&probe) {
                worker.abort();
                self.results.insert(probe, ProbeResult::Success);
            }
        }
        self.restart_at = None;
        self.update_pod_status();
        if self.pid.is_none() {
            return true;
        }
        if matches!(self.stopping, Stopping::No) {
            self.kill_container(self.spec.grace);
        }
        false
    }

    /// `killContainer`: the preStop hook within the grace period, then SIGTERM with what
    /// is left (at least 2 s), then SIGKILL.
    fn kill_container(&mut self, grace: Duration) {
        match self.spec.pre_stop {
            Some(hook) if !grace.is_zero() => {
                self.record(Event::PreStop);
                let hook = hook.min(grace);
                self.stopping = Stopping::PreStop {
                    until: Instant::now() + hook,
                    grace_left: grace - hook,
                };
            }
            _ => self.sigterm(grace),
        }
    }

    /// The container's stdout and stderr: the `logs` file, appended to, or nothing.
    fn output(&self) -> (Stdio, Stdio) {
        let Some(path) = &self.spec.logs else {
            return (Stdio::null(), Stdio::null());
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
        let copy = file
            .try_clone()
            .unwrap_or_else(|error| panic!("cannot share {}: {error}", path.display()));
        (Stdio::from(file), Stdio::from(copy))
    }

    fn sigterm(&mut self, grace: Duration) {
        self.record(Event::Sigterm);
        if let Some(pid) = self.pid {
            signal(pid, libc::SIGTERM);
        }
        self.stopping = Stopping::Term {
            kill_at: Instant::now() + grace.max(MINIMUM_GRACE),
        };
    }

    fn start_container(&mut self) {
        let (stdout, stderr) = self.output();
        let mut child = Command::new(&self.spec.program)
            .args(&self.spec.args)
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {}: {error}", self.spec.program.display())
            });
        self.pid = child.id().and_then(|pid| i32::try_from(pid).ok());
        self.results.clear();
        let container = {
            let mut state = self.shared.lock().unwrap();
            let container = state.container.map_or(0, |n| n + 1);
            state.container = Some(container);
            state.container_started_at = Instant::now();
            state.running = true;
            state.started = false;
            state.record(Event::ContainerStarted(container));
            container
        };
        let messages = self.messages.clone();
        self.container_tasks.push(tokio::spawn(async move {
            let status = child.wait().await.ok();
            let _ = messages.send(Message::Exited {
                container,
                code: status.and_then(|s| s.code()),
            });
        }));
        // The container's start is a pod event: the kubelet syncs, and a container without
        // a startup probe is started (and, without a readiness probe, ready) at once.
        self.update_pod_status();
    }

    fn record(&self, event: Event) {
        self.shared.lock().unwrap().record(event);
    }

    fn finish(&mut self) {
        for worker in self.workers.values() {
            worker.abort();
        }
        for task in &self.container_tasks {
            task.abort(); // drops the child, which `kill_on_drop` kills
        }
        for done in self.waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn signal(pid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}
