//! `FaultProxy` in front of a real echo server, each fault switched on and off while
//! connections are relayed, and `SaturatedListener`.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use health_runtime_testing::fault::{Fault, FaultProxy, SaturatedListener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server echoing every byte back, on a free loopback port.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 || socket.write_all(&buffer[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Writes `ping` and reads the echo, within `bound`.
async fn round_trip(stream: &mut TcpStream, bound: Duration) -> std::io::Result<Vec<u8>> {
    stream.write_all(b"ping").await?;
    let mut echo = vec![0u8; 4];
    match tokio::time::timeout(bound, stream.read_exact(&mut echo)).await {
        Ok(Ok(_)) => Ok(echo),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ErrorKind::TimedOut.into()),
    }
}

const BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn refuse_closes_relayed_connections_and_refuses_new_ones_until_cleared() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut relayed = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(round_trip(&mut relayed, BOUND).await.unwrap(), b"ping");

    proxy.set(Fault::Refuse);
    assert!(round_trip(&mut relayed, BOUND).await.is_err());
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(proxy.addr()).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the proxy still accepts connections");

    proxy.set(Fault::None);
    let mut again = None;
    for _ in 0..100 {
        if let Ok(stream) = TcpStream::connect(proxy.addr()).await {
            again = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut again = again.expect("the proxy listens again on the same address");
    assert_eq!(round_trip(&mut again, BOUND).await.unwrap(), b"ping");
}

#[tokio::test]
async fn blackhole_holds_the_bytes_until_it_clears() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set(Fault::Blackhole);
    let held = round_trip(&mut stream, Duration::from_millis(300)).await;
    assert_eq!(held.unwrap_err().kind(), ErrorKind::TimedOut);
    proxy.set(Fault::None);
    // The held `ping` goes through, then the new one.
    let mut echo = vec![0u8; 8];
    stream.write_all(b"ping").await.unwrap();
    tokio::time::timeout(BOUND, stream.read_exact(&mut echo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo, b"pingping");
}

#[tokio::test]
async fn delay_slows_each_direction() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.set(Fault::Delay(Duration::from_millis(200)));
    let began = Instant::now();
    assert_eq!(round_trip(&mut stream, BOUND).await.unwrap(), b"ping");
    // 200 ms on the way there and 200 ms back.
    assert!(
        began.elapsed() >= Duration::from_millis(400),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn reset_and_crash_reset_the_relayed_connections() {
    for fault in [Fault::Reset, Fault::Crash] {
        let proxy = FaultProxy::start(echo_server().await).await;
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut stream, BOUND).await.unwrap(), b"ping");
        proxy.set(fault);
        let error = round_trip(&mut stream, BOUND).await.unwrap_err();
        assert!(
            matches!(
                error.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "{fault:?}: {error}"
        );
    }
}

#[tokio::test]
async fn a_saturated_listener_leaves_connects_hanging() {
    let host = SaturatedListener::start().await;
    let connect = TcpStream::connect(host.addr());
    assert!(
        tokio::time::timeout(Duration::from_millis(300), connect)
            .await
            .is_err()
    );
}
