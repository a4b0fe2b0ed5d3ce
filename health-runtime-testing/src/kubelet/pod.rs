//! A running pod: what a test holds while the sync loop runs it, to read its log, wait for
//! what it should do, and delete or stop it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::log::{Event, Log};
use super::state::{Message, Shared};

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
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) messages: mpsc::UnboundedSender<Message>,
    pub(crate) task: JoinHandle<()>,
    pub(crate) addr: SocketAddr,
    pub(crate) grpc_addr: SocketAddr,
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
