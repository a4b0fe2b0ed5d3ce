//! A kubelet-exact probe simulator: runs a real service binary as a one-container pod and
//! probes it as the kubelet's prober does, restarting it through CrashLoopBackOff when
//! liveness or startup fails, and deleting it as `kubectl delete pod` does.
//!
//! Followed from the kubelet, each with a test naming the function it mirrors:
//!
//! - `worker.go` (`run`, `doProbe`): one worker per probe for the pod's whole life,
//!   probing when it starts and on every tick of `periodSeconds` (a slow probe delays the
//!   next; missed ticks are dropped) or manual trigger; nothing before
//!   `initialDelaySeconds` (whole seconds since the container started, truncated);
//!   readiness starts as failure, liveness as success, startup as unknown; liveness and
//!   readiness wait until startup succeeded, startup stops then; a result counts after
//!   `failureThreshold` / `successThreshold` equal results in a row, and that run goes on
//!   across container restarts (a liveness or startup failure resets it); a prober error is
//!   thrown away; once the pod is being deleted, liveness and startup report success and
//!   stop while readiness goes on.
//! - `prober_manager.go` (`UpdatePodStatus`, `StopLivenessAndStartup`): a container without
//!   a startup probe is started, one without a readiness probe ready, as soon as it runs;
//!   a started container that is not ready gets its readiness probe run at once (so
//!   readiness runs right after startup succeeds).
//! - `prober.go` (`runProbeWithRetries`) and `pkg/probe/http` (`DoHTTPProbe`,
//!   `RedirectChecker`, `newProbeRequest`): see [`http_get`].
//! - `pkg/probe/grpc` (`grpcProber.Probe`, with the `grpc` feature): `SERVING` is a
//!   success, any other status or RPC error a failure, one timeout over the dial and the
//!   call, no TLS, the `service` as the manifest gives it; see `grpc_check`.
//! - `kuberuntime` (`killContainer`, `doBackOff`): a failed liveness or startup probe runs
//!   the preStop hook, sends SIGTERM, waits the rest of the grace period (at least 2 s) and
//!   sends SIGKILL; the container is restarted after 0, 10, 20, 40 ... up to 300 s, reset
//!   once a container ran for 10 minutes.
//! - The endpoints controller: the pod is in its Services while ready and not being
//!   deleted; deletion removes it at once, whatever readiness says.
//!
//! Periods, initial delays and back-offs are scaled by the `time_scale` of
//! [`Kubelet::time_scale`] (how long one manifest second lasts) so that scenarios run in
//! seconds; timeouts, the preStop hook and the grace period are not, since they bound what
//! the real process does. The kubelet's jitter after its own restart and its periodic
//! resync are left out.

mod backoff;
mod grpc;
mod log;
mod pod;
mod prober;
mod state;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_runtime::deploy::{DeclaredContainer, LintError, declared_probes};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[cfg(feature = "grpc")]
pub use self::grpc::grpc_check;
pub use self::log::{Event, Log, Record};
pub use self::prober::{Outcome, ServingStatus, http_get};

use self::pod::{Loop, PodSpec};
use self::state::{Handler, Message, ProbeSpec, Shared};

/// A pod of one container running a service binary, probed as its manifest says.
///
/// ```no_run
/// # async fn doc() {
/// use std::time::Duration;
/// use health_runtime_testing::kubelet::{Kubelet, Log};
///
/// // The service prints its own Deployment (`my-service probes kubernetes --deployment`).
/// let pod = Kubelet::from_service("target/debug/my-service")
///     .time_scale(Duration::from_millis(50)) // a 10 s period lasts 0.5 s
///     .start();
/// pod.wait_for("ready", Duration::from_secs(30), Log::ever_ready).await;
/// let log = pod.delete().await; // SIGTERM, drain, exit
/// assert_eq!(log.restarts(), 0);
/// # }
/// ```
pub struct Kubelet {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    container: DeclaredContainer,
    scale: Duration,
    port: u16,
    grpc_port: u16,
    logs: Option<PathBuf>,
}

impl Kubelet {
    /// A pod running `program`, probed as the first container with probes in `manifest`
    /// (a Deployment, a Pod or a bare probe section) says. The service gets `PORT` set to
    /// a free loopback port, which stands for the port its HTTP probes name, and
    /// `GRPC_PORT` to another, which stands for the port its `grpc:` probes name.
    ///
    /// ```
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?;
    /// assert_eq!(kubelet.container().probes.len(), 1);
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    pub fn new(program: impl Into<PathBuf>, manifest: &str) -> Result<Kubelet, LintError> {
        let container = declared_probes(manifest)?.swap_remove(0);
        let port = free_port();
        let grpc_port = free_port();
        Ok(Kubelet {
            program: program.into(),
            args: Vec::new(),
            env: vec![
                ("PORT".to_owned(), port.to_string()),
                ("GRPC_PORT".to_owned(), grpc_port.to_string()),
            ],
            container,
            scale: Duration::from_secs(1),
            port,
            grpc_port,
            logs: None,
        })
    }

    /// A pod running `program` under the Deployment it prints for itself with
    /// `program probes kubernetes --deployment` (see `health_runtime::deploy`).
    ///
    /// # Panics
    ///
    /// When the program cannot run or prints no manifest with probes.
    ///
    /// ```no_run
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// let kubelet = Kubelet::from_service("target/debug/my-service");
    /// println!("probed on {}", kubelet.addr());
    /// ```
    pub fn from_service(program: impl Into<PathBuf>) -> Kubelet {
        let program = program.into();
        let output = std::process::Command::new(&program)
            .args(["probes", "kubernetes", "--deployment"])
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
        let manifest = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{} probes kubernetes --deployment failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        Kubelet::new(program, &manifest)
            .unwrap_or_else(|error| panic!("the printed manifest: {error}\n{manifest}"))
    }

    /// How long one manifest second lasts (default one second): periods, initial delays
    /// and back-offs shrink by as much.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// // A 10 s period lasts 0.5 s.
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?
    ///     .time_scale(Duration::from_millis(50));
    /// # let _ = kubelet;
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    #[must_use]
    pub fn time_scale(mut self, scale: Duration) -> Self {
        self.scale = scale;
        self
    }

    /// Sets an environment variable of the container.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?
    ///     .env("DATABASE_URL", "postgres://127.0.0.1:5432/test")
    ///     .env("STARTUP_DELAY_MS", 2000);
    /// # let _ = (kubelet, Duration::ZERO);
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    #[must_use]
    pub fn env(mut self, name: &str, value: impl ToString) -> Self {
        self.env.push((name.to_owned(), value.to_string()));
        self
    }

    /// Adds an argument to the container's command line.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?.arg("--verbose");
    /// # let _ = (kubelet, Duration::ZERO);
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends the container's stdout and stderr, of every container the pod runs, to the
    /// file `path` (created if missing) instead of discarding them, as `kubectl logs`
    /// would keep them.
    ///
    /// ```
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let log = std::env::temp_dir().join("my-service.log");
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?.logs_to(&log);
    /// # let _ = kubelet;
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    #[must_use]
    pub fn logs_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.logs = Some(path.into());
        self
    }

    /// Where the service listens (`127.0.0.1:$PORT`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?;
    /// assert!(kubelet.addr().ip().is_loopback());
    /// # let _ = Duration::ZERO;
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Where the service serves gRPC (`127.0.0.1:$GRPC_PORT`), which its `grpc:` probes
    /// call.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?;
    /// assert_ne!(kubelet.grpc_addr(), kubelet.addr());
    /// # let _ = Duration::ZERO;
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    pub fn grpc_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.grpc_port))
    }

    /// The container as the manifest declares it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// # let manifest = "readinessProbe:\n  httpGet:\n    path: /health/ready\n    port: 8000\n";
    /// let kubelet = Kubelet::new("target/debug/my-service", manifest)?;
    /// let readiness = &kubelet.container().probes[0];
    /// assert_eq!(readiness.path.as_deref(), Some("/health/ready"));
    /// # let _ = Duration::ZERO;
    /// # Ok::<(), health_runtime::deploy::LintError>(())
    /// ```
    pub fn container(&self) -> &DeclaredContainer {
        &self.container
    }

    /// Starts the pod: its prober workers, then its first container.
    ///
    /// # Panics
    ///
    /// When the manifest has `grpc:` probes and the `grpc` feature is off.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use health_runtime_testing::kubelet::Kubelet;
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let log = pod.stop().await;
    /// println!("{log}");
    /// # }
    /// ```
    pub fn start(self) -> Pod {
        #[cfg(not(feature = "grpc"))]
        assert!(
            self.container.probes.iter().all(|p| p.grpc.is_none()),
            "{}",
            grpc::NO_GRPC
        );
        let addr = self.addr();
        let grpc_addr = self.grpc_addr();
        let shared = Arc::new(Mutex::new(Shared {
            started_at: Instant::now(),
            scale: self.scale,
            container: None,
            container_started_at: Instant::now(),
            running: false,
            started: false,
            deleting: false,
            ready: false,
            in_endpoints: false,
            log: Log::default(),
        }));
        let spec = self.pod_spec();
        let pod_loop = Loop::new(spec, Arc::clone(&shared));
        let messages = pod_loop.messages.clone();
        let task = tokio::spawn(pod_loop.run());
        Pod {
            shared,
            messages,
            task,
            addr,
            grpc_addr,
        }
    }

    fn pod_spec(&self) -> PodSpec {
        let service_port = self.service_port();
        let grpc_service_port = self.grpc_service_port();
        let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let probes = self
            .container
            .probes
            .iter()
            .filter_map(|declared| {
                let (handler, target) = if let Some(grpc) = &declared.grpc {
                    // `GRPCAction.Port` is a number: no named port to resolve.
                    let target = match grpc.port.as_deref().map(str::parse::<u16>) {
                        Some(Ok(port)) if Some(port) == grpc_service_port => Ok(self.grpc_addr()),
                        Some(Ok(port)) => Ok(local(port)),
                        _ => Err(format!("grpc port {:?} is not a number", grpc.port)),
                    };
                    // `prober.runProbe`: `service` is `""` unless the probe sets it.
                    let service = grpc.service.clone().unwrap_or_default();
                    (Handler::Grpc { service }, target)
                } else {
                    let path = declared.path.clone()?; // exec and TCP: not simulated
                    let target = match declared
                        .port
                        .as_deref()
                        .map(|p| self.container.port_number(p))
                    {
                        Some(Some(port)) if Some(port) == service_port => Ok(self.addr()),
                        Some(Some(port)) => Ok(local(port)),
                        Some(None) | None => Err(format!("port {:?} not found", declared.port)),
                    };
                    (Handler::HttpGet { path }, target)
                };
                Some(ProbeSpec {
                    probe: declared.probe,
                    handler,
                    target,
                    initial_delay_seconds: declared.initial_delay_seconds,
                    period: self.scale
                        * u32::try_from(declared.period_seconds.max(1)).unwrap_or(u32::MAX),
                    timeout: Duration::from_secs(declared.timeout_seconds.max(1)),
                    success_threshold: declared.success_threshold.max(1),
                    failure_threshold: declared.failure_threshold.max(1),
                })
            })
            .collect();
        PodSpec {
            program: self.program.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
            logs: self.logs.clone(),
            probes,
            grace: Duration::from_secs(
                self.container
                    .termination_grace_period_seconds
                    .unwrap_or(30),
            ),
            pre_stop: self
                .container
                .pre_stop_sleep_seconds
                .map(Duration::from_secs),
        }
    }

    /// The port the probes name for the service: readiness's, else liveness's, else
    /// startup's.
    fn service_port(&self) -> Option<u16> {
        use health_runtime::Probe;
        [Probe::Readiness, Probe::Liveness, Probe::Startup]
            .iter()
            .filter_map(|probe| self.container.probe(*probe)?.port.as_deref())
            .find_map(|port| self.container.port_number(port))
    }

    /// The port the `grpc:` probes name for the service, in the same order.
    fn grpc_service_port(&self) -> Option<u16> {
        use health_runtime::Probe;
        [Probe::Readiness, Probe::Liveness, Probe::Startup]
            .iter()
            .filter_map(|probe| self.container.probe(*probe)?.grpc.as_ref()?.port.as_deref())
            .find_map(|port| port.parse().ok())
    }
}

/// A running pod. Dropping it kills the container.
///
/// ```no_run
/// # async fn doc() {
/// use std::time::Duration;
/// use health_runtime_testing::kubelet::{Kubelet, Log};
///
/// let pod = Kubelet::from_service("target/debug/my-service").start();
/// pod.wait_for("ready", Duration::from_secs(30), Log::ever_ready).await;
/// assert!(pod.in_endpoints());
/// drop(pod); // kills the container
/// # }
/// ```
pub struct Pod {
    shared: Arc<Mutex<Shared>>,
    messages: tokio::sync::mpsc::UnboundedSender<Message>,
    task: JoinHandle<()>,
    addr: SocketAddr,
    grpc_addr: SocketAddr,
}

impl Pod {
    /// What happened so far.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// println!("so far:\n{}", pod.log());
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub fn log(&self) -> Log {
        self.shared.lock().unwrap().log.clone()
    }

    /// Where the service listens.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let url = format!("http://{}/health/ready", pod.addr());
    /// # let _ = url;
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the service serves gRPC (`$GRPC_PORT`).
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let endpoint = format!("http://{}", pod.grpc_addr());
    /// # let _ = endpoint;
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// Whether the pod's Services route to it now.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// pod.wait_for("ready", Duration::from_secs(30), Log::ever_ready).await;
    /// assert!(pod.in_endpoints());
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub fn in_endpoints(&self) -> bool {
        self.shared.lock().unwrap().in_endpoints
    }

    /// Whether the pod was in its Services' endpoints `lag` ago.
    pub(crate) fn routed(&self) -> impl Fn(Duration) -> bool + Send + 'static {
        let shared = Arc::clone(&self.shared);
        move |lag| {
            let state = shared.lock().unwrap();
            let then = state.started_at.elapsed().saturating_sub(lag);
            let mut routed = false;
            for record in state.log.records.iter().take_while(|r| r.at <= then) {
                if let Event::Endpoints(now) = record.event {
                    routed = now;
                }
            }
            routed
        }
    }

    /// Waits until `predicate` holds on the log; panics with the log after `bound`.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let log = pod.wait_for("ready", Duration::from_secs(30), Log::ever_ready).await;
    /// assert_eq!(log.restarts(), 0);
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
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
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Lets the pod run for `duration` (real time), then returns the log.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// // A database outage of 30 manifest seconds restarts nothing.
    /// let log = pod.run_for(Duration::from_secs(3)).await;
    /// assert_eq!(log.restarts(), 0);
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub async fn run_for(&self, duration: Duration) -> Log {
        tokio::time::sleep(duration).await;
        self.log()
    }

    /// Deletes the pod as `kubectl delete pod` does and returns the log once the container
    /// is gone (drained, or killed after the grace period).
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let log = pod.delete().await; // SIGTERM, drain, exit
    /// println!("{log}");
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub async fn delete(self) -> Log {
        self.finish(Message::Delete).await
    }

    /// Kills the container at once and returns the log.
    ///
    /// ```no_run
    /// # async fn doc() {
    /// use std::time::Duration;
    /// use health_runtime_testing::kubelet::{Kubelet, Log};
    ///
    /// let pod = Kubelet::from_service("target/debug/my-service").start();
    /// let log = pod.stop().await;
    /// println!("{log}");
    /// # let _ = (Duration::ZERO, Log::ever_ready);
    /// # }
    /// ```
    pub async fn stop(self) -> Log {
        self.finish(Message::Stop).await
    }

    async fn finish(mut self, message: impl FnOnce(oneshot::Sender<()>) -> Message) -> Log {
        let (done, finished) = oneshot::channel();
        let _ = self.messages.send(message(done));
        let bound = Duration::from_secs(120);
        if tokio::time::timeout(bound, finished).await.is_err() {
            self.task.abort();
            panic!("the pod did not stop within {bound:?}\n{}", self.log());
        }
        let _ = (&mut self.task).await;
        self.log()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}
