//! The kubelet simulator lives in `health-runtime-testing`, where users' own tests reach
//! it too; the scenarios here use it through this path.

pub use health_runtime_testing::kubelet::*;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// `kubelet` with its containers' stdout and stderr appended to the capture directory
/// ([`crate::capture::pod_log`]) when capturing; unchanged otherwise.
pub fn captured(kubelet: Kubelet, label: &str) -> Kubelet {
    match crate::capture::pod_log(label) {
        Some(path) => kubelet.logs_to(path),
        None => kubelet,
    }
}

/// A server that answers every connection with the raw response `head`, then `body`
/// after `pause`: the answers no well-behaved server gives, for the prober's edge cases.
pub async fn raw_http_server(
    head: &'static str,
    body: &'static [u8],
    pause: Duration,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(head.as_bytes()).await;
                tokio::time::sleep(pause).await;
                let _ = socket.write_all(body).await;
            });
        }
    });
    addr
}
