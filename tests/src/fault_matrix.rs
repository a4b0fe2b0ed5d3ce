//! The fault matrix every built-in check goes through, written once.
//!
//! A built-in plugs in by implementing [`Subject`]: which server it checks, the check
//! itself, how the application provides its resource, and what its errors say. The
//! scenarios then run the same way for all of them, through a real listening service and
//! a real (private) server:
//!
//! | scenario | fault | the report must say |
//! |---|---|---|
//! | [`healthy`] | none | healthy, within the timeout |
//! | [`refused`] | the server is killed | unhealthy with the subject's "down" error, three times in a row, each within the timeout |
//! | [`frozen`] | SIGSTOP | `Timeout after {N}ms` at the check's timeout; healthy again after SIGCONT |
//! | [`slower_than_timeout`] | a fault proxy delays every byte by twice the timeout | `Timeout after {N}ms`; healthy again once the delay is gone |
//! | [`killed_mid_operation`] | the server is frozen with the check's request in flight, then killed | the subject's "killed" error, before the timeout where the client can see the kill |
//! | [`restarted`] | killed, then started again on the same port | unhealthy while down; healthy again without restarting the application |
//!
//! [`fault_matrix!`](crate::fault_matrix!) declares the six tests for one subject.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use health_runtime::{Check, Health};

use crate::dependency::Dependency;
use crate::fault_proxy::{Fault, FaultProxy};
use crate::http::TestServer;
use crate::probe::{Probed, probe, probe_until_healthy};

/// The probe every scenario reads: readiness, where the built-ins run by default.
pub const READY: &str = "/health/ready";

/// How long after SIGSTOP the kill comes in [`killed_mid_operation`]: long enough for
/// the check's request to be in flight, far shorter than any check's timeout.
const KILL_AFTER: Duration = Duration::from_millis(300);

/// A built-in check, the server it talks to, and what it reports.
pub trait Subject: Sync {
    /// The server the check talks to.
    type Server: Dependency + 'static;

    /// The check's name in the report.
    const NAME: &'static str;

    /// The check's timeout, which every scenario bounds its reports by.
    fn timeout(&self) -> Duration;

    /// Starts a fresh server for one scenario.
    fn start(&self) -> impl Future<Output = Self::Server> + Send;

    /// The check under test against `server`, reached at `addr` (the server's own address
    /// or a proxy's in front of it) when the check owns its client.
    fn check(&self, server: &Self::Server, addr: SocketAddr) -> Check;

    /// Provides the resource the check runs over (a pool, a client), connected to
    /// `addr`. Checks that own their client provide nothing.
    fn provide(&self, health: &Health, addr: SocketAddr) -> impl Future<Output = ()> + Send;

    /// What the subject's reports say under each fault.
    fn expect(&self) -> Expectations;

    /// A server shared by the scenarios that neither freeze nor kill it ([`healthy`] and
    /// [`slower_than_timeout`], whose fault sits in a proxy), for servers slow to start;
    /// `None` (the default) starts a fresh one for them too.
    fn shared(&self) -> Option<&'static Self::Server> {
        None
    }
}

/// The errors a subject reports; each report must contain one of the listed texts.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// While the server is down (refused connections, or the connection it had dropped).
    pub down: &'static [&'static str],
    /// When the server dies with the check's request in flight.
    pub killed: &'static [&'static str],
    /// Whether the client sees the kill at once; `false` for clients that retry a broken
    /// connection until the check's timeout ends the run.
    pub killed_ends_run: bool,
    /// How the check comes back after a restart.
    pub recovery: Recovery,
    /// How many probes, 200 ms apart, the check may take to be healthy again after a
    /// fault is lifted (a thaw, a delay removed).
    pub recovers_within: u32,
}

/// How a check comes back after its server restarted.
#[derive(Debug, Clone, Copy)]
pub enum Recovery {
    /// By itself (a pool, a reconnecting client), within this many probes.
    Reconnects { probes: u32 },
    /// Its resource is one connection that died with the server: the check keeps
    /// reporting this error until the application provides a new one, and is healthy
    /// at the next report after that.
    Replaced { error: &'static [&'static str] },
}

/// The `Timeout after {N}ms` text of a check with `timeout`.
pub fn timeout_error(timeout: Duration) -> String {
    format!("Timeout after {}ms", timeout.as_millis())
}

/// The application under test: one check of `subject` against `addr`, served on a free
/// loopback port.
pub struct App {
    /// The application's health handle, to provide resources again.
    pub health: Health,
    /// Its health endpoints.
    pub server: TestServer,
}

impl App {
    /// Builds the application around `subject`'s check of `server` at `addr`, and provides
    /// its resource.
    pub async fn start<S: Subject>(subject: &S, server: &S::Server, addr: SocketAddr) -> App {
        let health = Health::builder()
            .without_registered()
            .check(subject.check(server, addr).timeout(subject.timeout()))
            .build()
            .expect("valid checks");
        subject.provide(&health, addr).await;
        let server = TestServer::start(health.router()).await;
        App { health, server }
    }

    /// One readiness probe.
    pub async fn probe(&self) -> Probed {
        probe(&self.server, READY).await
    }

    async fn until_healthy<S: Subject>(&self, attempts: u32) -> u32 {
        probe_until_healthy(&self.server, READY, S::NAME, attempts).await
    }
}

/// Asserts one report: within the timeout, unhealthy with one of `errors`.
fn assert_fails<S: Subject>(subject: &S, probed: &Probed, errors: &[&str]) -> String {
    probed.assert_within(subject.timeout());
    probed.assert_unhealthy(S::NAME, errors)
}

/// Asserts one report ended on the check's own timeout.
fn assert_timed_out<S: Subject>(subject: &S, probed: &Probed) {
    let expected = timeout_error(subject.timeout());
    let error = assert_fails(subject, probed, &[&expected]);
    assert_eq!(error, expected, "{}: the check's own timeout", S::NAME);
    // Not a client's shorter timeout reported under the check's name.
    assert!(
        probed.elapsed >= subject.timeout(),
        "{}: a timeout after {:?}, before the check's {:?}",
        S::NAME,
        probed.elapsed,
        subject.timeout()
    );
}

/// The subject's shared server, or a fresh one kept in `own`.
async fn unbroken<'a, S: Subject>(subject: &S, own: &'a mut Option<S::Server>) -> &'a S::Server {
    match subject.shared() {
        Some(shared) => shared,
        None => own.insert(subject.start().await),
    }
}

/// Healthy, within the timeout.
pub async fn healthy<S: Subject>(subject: &S) {
    let mut own = None;
    let server = unbroken(subject, &mut own).await;
    let app = App::start(subject, server, server.addr()).await;
    app.probe()
        .await
        .assert_within(subject.timeout())
        .assert_healthy(S::NAME);
}

/// Killed server: every report says it is down, none waits longer than the timeout.
pub async fn refused<S: Subject>(subject: &S) {
    let mut server = subject.start().await;
    let app = App::start(subject, &server, server.addr()).await;
    app.probe().await.assert_healthy(S::NAME);
    server.kill();
    // Reconnecting clients retry in the background: each report must still tell the truth.
    for _ in 0..3 {
        assert_fails(subject, &app.probe().await, subject.expect().down);
    }
}

/// SIGSTOP: the report ends on the check's own timeout, and SIGCONT heals it.
pub async fn frozen<S: Subject>(subject: &S) {
    let server = subject.start().await;
    let app = App::start(subject, &server, server.addr()).await;
    app.probe().await.assert_healthy(S::NAME);
    server.freeze();
    let probed = app.probe().await;
    server.thaw();
    assert_timed_out(subject, &probed);
    app.until_healthy::<S>(subject.expect().recovers_within)
        .await;
}

/// Every byte delayed by twice the timeout: the report ends on the check's own timeout,
/// and the check is healthy again once the delay is gone.
pub async fn slower_than_timeout<S: Subject>(subject: &S) {
    let mut own = None;
    let server = unbroken(subject, &mut own).await;
    let proxy = FaultProxy::start(server.addr()).await;
    let app = App::start(subject, server, proxy.addr()).await;
    app.probe().await.assert_healthy(S::NAME);
    proxy.set(Fault::Delay(subject.timeout() * 2));
    assert_timed_out(subject, &app.probe().await);
    proxy.set(Fault::None);
    let probes = app.until_healthy::<S>(25).await;
    let allowed = subject.expect().recovers_within;
    assert!(
        probes <= allowed,
        "{}: healthy again only after {probes} probes (at most {allowed})",
        S::NAME
    );
}

/// Frozen with the check's request in flight, then killed: the report says so, and ends
/// before the timeout where the client sees the dropped connection.
pub async fn killed_mid_operation<S: Subject>(subject: &S) {
    let mut server = subject.start().await;
    let app = App::start(subject, &server, server.addr()).await;
    app.probe().await.assert_healthy(S::NAME);
    server.freeze();
    let report = tokio::spawn(async move {
        let probed = app.probe().await;
        (probed, app)
    });
    tokio::time::sleep(KILL_AFTER).await;
    server.kill();
    let (probed, _app) = report.await.expect("probe task");
    let expect = subject.expect();
    assert_fails(subject, &probed, expect.killed);
    if expect.killed_ends_run {
        assert!(
            probed.elapsed < subject.timeout(),
            "{}: the kill should end the run before the timeout, took {:?}",
            S::NAME,
            probed.elapsed
        );
    }
}

/// Killed, then started again on the same port: unhealthy while down, healthy again
/// without restarting the application.
pub async fn restarted<S: Subject>(subject: &S) {
    let mut server = subject.start().await;
    let app = App::start(subject, &server, server.addr()).await;
    app.probe().await.assert_healthy(S::NAME);
    server.kill();
    assert_fails(subject, &app.probe().await, subject.expect().down);
    server.restart();
    match subject.expect().recovery {
        Recovery::Reconnects { probes: allowed } => {
            let probes = app.until_healthy::<S>(allowed.max(10)).await;
            assert!(
                probes <= allowed,
                "{}: healthy again only after {probes} probes (at most {allowed})",
                S::NAME
            );
        }
        Recovery::Replaced { error } => {
            assert_fails(subject, &app.probe().await, error);
            subject.provide(&app.health, server.addr()).await;
            app.probe().await.assert_healthy(S::NAME);
        }
    }
}

/// Declares the six scenarios of the fault matrix as tests of one subject, in a module
/// of their own:
///
/// ```ignore
/// tests::fault_matrix!(manager => Kind::Manager);
/// ```
#[macro_export]
macro_rules! fault_matrix {
    ($($module:ident => $subject:expr),* $(,)?) => {$(
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            use $crate::fault_matrix as scenario;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn healthy_when_up() { scenario::healthy(&$subject).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unhealthy_when_refused() { scenario::refused(&$subject).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn times_out_when_frozen() { scenario::frozen(&$subject).await }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn times_out_when_slower_than_timeout() {
                scenario::slower_than_timeout(&$subject).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fails_when_killed_mid_operation() {
                scenario::killed_mid_operation(&$subject).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn healthy_again_after_restart() { scenario::restarted(&$subject).await }
        }
    )*};
}
