//! A kubelet-exact probe simulator: runs a real service binary as a one-container pod and
//! probes it as the kubelet's prober does, restarting it through CrashLoopBackOff when
//! liveness or startup fails, and deleting it as `kubectl delete pod` does.
//!
//! [`Kubelet`] reads the manifest and starts a [`Pod`]; the pod's sync loop
//! (`sync_loop.rs`) runs one prober worker per probe (`worker.rs`), each probing through
//! [`HttpGet`] or `grpc_check`.
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
//! - `prober.go` (`runProbeWithRetries`), `pkg/probe/http` (`DoHTTPProbe`,
//!   `RedirectChecker`, `newProbeRequest`, `formatURL`) and Go's `net/http` client: see
//!   [`HttpGet`]. The probe's `host`, `port` (a number or a port name) and `httpHeaders`
//!   are taken from the manifest.
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
//! Not simulated: `exec` and `tcpSocket` probes and `scheme: HTTPS` (a pod whose manifest
//! has one refuses to start, rather than run without it), TLS of any kind, the kubelet's
//! jitter after its own restart and its periodic resync, and any container but the first
//! with probes.
//!
//! Periods, initial delays and back-offs are scaled by the `time_scale` of
//! [`Kubelet::time_scale`] (how long one manifest second lasts) so that scenarios run in
//! seconds; timeouts, the preStop hook and the grace period are not, since they bound what
//! the real process does.

mod backoff;
mod grpc;
mod http;
mod log;
mod outcome;
mod pod;
mod state;
mod sync_loop;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_runtime::deploy::{DeclaredContainer, DeclaredProbe, LintError, declared_probes};
use tokio::time::Instant;

#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use self::grpc::grpc_check;
pub use self::http::{HttpGet, http_get};
pub use self::log::{Event, Log, Record};
pub use self::outcome::{Outcome, ServingStatus};
pub use self::pod::Pod;

use self::state::{Handler, ProbeSpec, Shared};
use self::sync_loop::{PodSpec, SyncLoop};

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
    /// When the manifest has a probe the simulator does not run: `exec`, `tcpSocket`,
    /// `scheme: HTTPS`, or `grpc:` without the `grpc` feature.
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
        if let Some(reason) = self.unsimulated() {
            panic!("{reason}");
        }
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
        let sync_loop = SyncLoop::new(spec, Arc::clone(&shared));
        let messages = sync_loop.messages.clone();
        let task = tokio::spawn(sync_loop.run());
        Pod {
            shared,
            messages,
            task,
            addr,
            grpc_addr,
        }
    }

    /// Why the pod cannot run as the manifest says, if it cannot.
    fn unsimulated(&self) -> Option<String> {
        self.container.probes.iter().find_map(|declared| {
            let probe = declared.probe;
            if declared.grpc.is_some() {
                return (!cfg!(feature = "grpc")).then(|| {
                    "the manifest has grpc: probes; enable the `grpc` feature of \
                     health-runtime-testing"
                        .to_owned()
                });
            }
            if declared.path.is_none() {
                return Some(format!(
                    "the {probe} probe is an exec or tcpSocket probe, which the simulator \
                     does not run (only httpGet and grpc)"
                ));
            }
            let https = declared
                .scheme
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("https"));
            https.then(|| {
                format!("the {probe} probe has scheme: HTTPS; the simulator speaks plain HTTP only")
            })
        })
    }

    fn pod_spec(&self) -> PodSpec {
        let probes = self
            .container
            .probes
            .iter()
            .filter_map(|declared| {
                Some(ProbeSpec {
                    probe: declared.probe,
                    handler: self.handler(declared)?,
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

    /// What the probe calls: the service's own port stands for the port the service's
    /// probes name; another port is called on loopback as written.
    fn handler(&self, declared: &DeclaredProbe) -> Option<Handler> {
        let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        if let Some(grpc) = &declared.grpc {
            // `GRPCAction.Port` is a number: no named port to resolve.
            return Some(match grpc.port.as_deref().map(str::parse::<u16>) {
                Some(Ok(port)) => Handler::Grpc {
                    addr: if Some(port) == self.grpc_service_port() {
                        self.grpc_addr()
                    } else {
                        local(port)
                    },
                    // `prober.runProbe`: `service` is `""` unless the probe sets it.
                    service: grpc.service.clone().unwrap_or_default(),
                },
                _ => Handler::Unresolved(format!("grpc port {:?} is not a number", grpc.port)),
            });
        }
        let path = declared.path.as_deref()?;
        let Some(port) = declared
            .port
            .as_deref()
            .and_then(|p| self.container.port_number(p))
        else {
            return Some(Handler::Unresolved(format!(
                "port {:?} not found",
                declared.port
            )));
        };
        // `GetProbeUrl`: the scheme lower-cased (HTTP when absent), the host as given or
        // the pod's IP.
        let scheme = declared.scheme.as_deref().unwrap_or("http");
        let request = match &declared.host {
            Some(host) => HttpGet::to(scheme, host, port, path),
            None => {
                let addr = if Some(port) == self.service_port() {
                    self.addr()
                } else {
                    local(port)
                };
                HttpGet::to(scheme, &addr.ip().to_string(), addr.port(), path)
            }
        };
        let request = declared
            .http_headers
            .iter()
            .fold(request, |request, (name, value)| {
                request.header(name, value)
            });
        Some(Handler::HttpGet(request))
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}
