//! The system built-ins: the TLS certificate check (`checks::rustls`) through the fault
//! matrix against a local TLS server with `rcgen` certificates, and the checks that talk
//! to no server (free disk space, container memory, DNS), on this machine's own
//! filesystem, memory and resolver.

use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::checks::disk::Thresholds as Disk;
use health_runtime::checks::memory::Thresholds as Memory;
use health_runtime::checks::rustls::TlsTarget;
use health_runtime::{Check, Health, checks};
use serde_json::Value;
use tests::fault_matrix::{Expectations, Recovery, Subject};
use tests::http::TestServer;
use tests::probe::{Probed, probe};
use tests::tls_server::TlsServer;

const TIMEOUT: Duration = Duration::from_millis(1000);
const DAY: Duration = Duration::from_secs(86_400);

fn target(addr: SocketAddr, server: &TlsServer) -> TlsTarget {
    TlsTarget::new("127.0.0.1", addr.port())
        .server_name("localhost")
        .root_certificates([server.root()])
}

/// `checks::rustls::check` on a certificate valid for 90 days, from a private CA.
struct Certificate;

impl Subject for Certificate {
    type Server = TlsServer;
    const NAME: &'static str = "tls";

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    async fn start(&self) -> TlsServer {
        TlsServer::start(90 * DAY, false).await
    }

    fn check(&self, server: &TlsServer, addr: SocketAddr) -> Check {
        checks::rustls::check("tls", target(addr, server))
    }

    async fn provide(&self, _health: &Health, _addr: SocketAddr) {}

    fn expect(&self) -> Expectations {
        Expectations {
            down: &["Connection refused"],
            killed: &["Connection reset by peer", "tls: 127.0.0.1"],
            killed_ends_run: true,
            recovery: Recovery::Reconnects { probes: 1 },
            recovers_within: 3,
        }
    }
}

tests::fault_matrix!(rustls_certificate => Certificate);

async fn serve(check: Check) -> TestServer {
    let health = Health::builder()
        .without_registered()
        .check(check.timeout(TIMEOUT))
        .build()
        .expect("valid checks");
    TestServer::start(health.router()).await
}

/// Degraded: the report stays 200, the check says why.
fn assert_degraded(probed: &Probed, name: &str, expected: &str) {
    let body = String::from_utf8_lossy(&probed.response.body).into_owned();
    assert_eq!(probed.response.status, 200, "{body}");
    let entry = probed.check(name);
    assert_eq!(
        (&entry["healthy"], &entry["degraded"]),
        (&Value::Bool(true), &Value::Bool(true)),
        "{body}"
    );
    let error = entry["error"].as_str().unwrap_or_default();
    assert!(error.contains(expected), "`{expected}` in {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_certificate_expiring_soon_is_degraded() {
    let server = TlsServer::start(3 * DAY + Duration::from_secs(3600), false).await;
    let app = serve(checks::rustls::check(
        "tls",
        target(server_addr(&server), &server),
    ))
    .await;
    let probed = probe(&app, "/health/ready").await;
    assert_degraded(&probed, "tls", "the certificate expires in 3 days");
    assert_eq!(probed.check("tls")["details"]["days_left"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_certificate_expired_is_unhealthy() {
    let server = TlsServer::start(DAY, true).await;
    let app = serve(checks::rustls::check(
        "tls",
        target(server_addr(&server), &server),
    ))
    .await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("tls", &["invalid peer certificate: certificate expired"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_chain_from_an_untrusted_root_is_unhealthy() {
    let server = TlsServer::start(90 * DAY, false).await;
    let other = TlsServer::start(90 * DAY, false).await;
    let app = serve(checks::rustls::check(
        "tls",
        target(server_addr(&server), &other),
    ))
    .await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("tls", &["invalid peer certificate: UnknownIssuer"]);
    // The Mozilla roots do not trust a private CA either.
    let public = TlsTarget::new("127.0.0.1", server_addr(&server).port()).server_name("localhost");
    let app = serve(checks::rustls::check("tls", public)).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("tls", &["invalid peer certificate: UnknownIssuer"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_certificate_for_another_name_is_unhealthy() {
    let server = TlsServer::start(90 * DAY, false).await;
    let wrong = target(server_addr(&server), &server).server_name("api.example.com");
    let app = serve(checks::rustls::check("tls", wrong)).await;
    probe(&app, "/health/ready").await.assert_unhealthy(
        "tls",
        &["invalid peer certificate: certificate not valid for name"],
    );
}

fn server_addr(server: &TlsServer) -> SocketAddr {
    tests::dependency::Dependency::addr(server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_space_thresholds() {
    let dir = std::env::temp_dir();
    let health = Health::builder()
        .without_registered()
        .check(checks::disk::check("roomy", &dir, Disk::free_bytes(0, 0)))
        .check(checks::disk::check("warn", &dir, Disk::free_bytes(u64::MAX, 0)).critical(false))
        .check(checks::disk::check(
            "full",
            &dir,
            Disk::free_bytes(u64::MAX, u64::MAX),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, "/health/ready").await;
    let body = probed.response.json();
    assert_eq!(body["checks"]["roomy"]["healthy"], true, "{body}");
    assert!(
        body["checks"]["roomy"]["details"]["free_bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(body["checks"]["warn"]["degraded"], true, "{body}");
    probed.assert_unhealthy("full", &["free, below"]);
    let missing = serve(checks::disk::check(
        "gone",
        "/no/such/dir",
        Disk::free_bytes(0, 0),
    ))
    .await;
    probe(&missing, "/health/ready")
        .await
        .assert_unhealthy("gone", &["disk: /no/such/dir: No such file or directory"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_use_of_this_container_or_process() {
    let health = Health::builder()
        .without_registered()
        .check(checks::memory::check(
            "memory",
            Memory::used_fraction(1.0, 1.0),
        ))
        .check(checks::memory::check(
            "tight",
            Memory::used_fraction(0.0, 0.0),
        ))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let probed = probe(&app, "/health/ready").await;
    let body = probed.response.json();
    let memory = &body["checks"]["memory"];
    assert_eq!(memory["healthy"], true, "{body}");
    let (used, limit) = (
        memory["details"]["used_bytes"].as_u64().unwrap(),
        memory["details"]["limit_bytes"].as_u64().unwrap(),
    );
    assert!(used > 0 && used <= limit, "{body}");
    // cgroup v2 in a container with a limit; this process against the machine otherwise.
    let source = memory["details"]["source"].clone();
    assert!(source == "cgroup v2" || source == "process RSS", "{body}");
    probed.assert_unhealthy("tight", &["in use ("]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_resolution() {
    let app = serve(checks::dns::check("dns", "localhost")).await;
    let probed = probe(&app, "/health/ready").await;
    probed.assert_healthy("dns");
    let addresses = probed.check("dns")["details"]["addresses"].clone();
    assert!(
        addresses
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "127.0.0.1" || a == "::1"),
        "{addresses}"
    );
    // `.invalid` never resolves (RFC 6761).
    let app = serve(checks::dns::check("dns", "no-such-host.invalid")).await;
    probe(&app, "/health/ready")
        .await
        .assert_unhealthy("dns", &["dns: no-such-host.invalid: "]);
}
