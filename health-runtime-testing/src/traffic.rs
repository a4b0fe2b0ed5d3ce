//! Requests sent to a simulated pod through its Service: only while the endpoints list
//! it, as kube-proxy and ingress controllers see the endpoints, a propagation delay late.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::kubelet::Pod;

/// What the traffic saw.
///
/// ```no_run
/// # async fn doc(pod: health_runtime_testing::kubelet::Pod) {
/// use std::time::Duration;
/// use health_runtime_testing::traffic::Traffic;
///
/// let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
/// let _log = pod.delete().await;
/// let report = traffic.finish().await;
/// println!("{} sent, {} failed", report.sent, report.failed.len());
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrafficReport {
    /// Requests sent.
    pub sent: usize,
    /// Why each failed request failed: no connection, a broken one, or a 5xx.
    pub failed: Vec<String>,
}

/// Steady requests to a pod through its Service.
///
/// ```no_run
/// # async fn doc(pod: health_runtime_testing::kubelet::Pod) {
/// use std::time::Duration;
/// use health_runtime_testing::traffic::Traffic;
///
/// // A request every 20 ms; the proxies learn of endpoint changes 1 s late.
/// let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
/// let log = pod.delete().await;
/// let report = traffic.finish().await;
/// assert!(report.sent > 0);
/// assert_eq!(report.failed, Vec::<String>::new(), "{log}");
/// # }
/// ```
pub struct Traffic {
    stop: watch::Sender<bool>,
    task: JoinHandle<TrafficReport>,
}

/// Starting traffic to a pod and reading what it saw.
///
/// ```no_run
/// # async fn doc(pod: health_runtime_testing::kubelet::Pod) {
/// use std::time::Duration;
/// use health_runtime_testing::traffic::Traffic;
///
/// let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
/// let _log = pod.delete().await;
/// let report = traffic.finish().await;
/// println!("{} sent, {} failed", report.sent, report.failed.len());
/// # }
/// ```
impl Traffic {
    /// Sends `GET path` every `every` while the pod was in its Service's endpoints
    /// `propagation` ago (how late kube-proxy, an ingress controller or Container Apps'
    /// Envoy applies an endpoints change).
    ///
    /// ```no_run
    /// # async fn doc(pod: health_runtime_testing::kubelet::Pod) {
    /// use std::time::Duration;
    /// use health_runtime_testing::traffic::Traffic;
    ///
    /// let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
    /// let _log = pod.delete().await;
    /// let report = traffic.finish().await;
    /// println!("{} sent, {} failed", report.sent, report.failed.len());
    /// # }
    /// ```
    pub fn start(pod: &Pod, path: &str, every: Duration, propagation: Duration) -> Traffic {
        let routed = pod.routed();
        let addr = pod.addr();
        let path = path.to_owned();
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut requests = JoinSet::new();
            let mut ticker = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stopped.changed() => break,
                }
                if routed(propagation) {
                    let path = path.clone();
                    requests.spawn(async move { get(addr, &path).await });
                }
            }
            let mut report = TrafficReport::default();
            while let Some(result) = requests.join_next().await {
                report.sent += 1;
                if let Ok(Err(error)) = result {
                    report.failed.push(error);
                }
            }
            report
        });
        Traffic { stop, task }
    }

    /// Stops sending and reports, once every request sent has answered.
    ///
    /// ```no_run
    /// # async fn doc(pod: health_runtime_testing::kubelet::Pod) {
    /// use std::time::Duration;
    /// use health_runtime_testing::traffic::Traffic;
    ///
    /// let traffic = Traffic::start(&pod, "/", Duration::from_millis(20), Duration::from_secs(1));
    /// let _log = pod.delete().await;
    /// let report = traffic.finish().await;
    /// println!("{} sent, {} failed", report.sent, report.failed.len());
    /// # }
    /// ```
    pub async fn finish(self) -> TrafficReport {
        let _ = self.stop.send(true);
        self.task.await.expect("the traffic task")
    }
}

async fn get(addr: std::net::SocketAddr, path: &str) -> Result<(), String> {
    let exchange = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(connection);
        let request = Request::get(path)
            .header("host", addr.to_string())
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("response: {e}"))?;
        let status = response.status();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?;
        if status.is_server_error() {
            return Err(format!("status {status}"));
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
}
