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

/// What a [`ScriptedServer`] writes for one request: byte runs, each after its pause; the
/// connection closes after the last.
pub type Reply = Vec<(Duration, Vec<u8>)>;

/// A server on `bind` (`127.0.0.1:0`, `[::1]:0`) that answers each request with what its
/// script makes of the request's head and the server's own address, and keeps every head
/// it received: for the answers no well-behaved server gives and the requests a prober
/// sends.
pub struct ScriptedServer {
    addr: SocketAddr,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ScriptedServer {
    /// Starts serving on `bind`.
    pub async fn start(
        bind: &str,
        script: impl Fn(&str, SocketAddr) -> Reply + Send + Sync + 'static,
    ) -> ScriptedServer {
        let listener = TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&requests);
        let script = std::sync::Arc::new(script);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (seen, script) = (seen.clone(), script.clone());
                tokio::spawn(async move {
                    let head = read_head(&mut socket).await;
                    seen.lock().unwrap().push(head.clone());
                    for (pause, bytes) in script(&head, addr) {
                        tokio::time::sleep(pause).await;
                        if socket.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        ScriptedServer { addr, requests }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The heads of the requests received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_head(socket: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let read = async {
        while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.is_ok_and(|n| n == 1) {
            head.push(byte[0]);
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    String::from_utf8_lossy(&head).into_owned()
}

/// The request target of a request head (`GET /path HTTP/1.1`).
pub fn request_target(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or_default()
}

/// The value of header `name` (any case) in a request head.
pub fn request_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A reply written at once.
pub fn reply(bytes: &str) -> Reply {
    vec![(Duration::ZERO, bytes.as_bytes().to_vec())]
}

/// A `302 Found` to `location`.
pub fn found(location: &str) -> Reply {
    reply(&format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    ))
}
