//! One server process of the test's own, with its own directory, on a free loopback
//! port: started, frozen, thawed, killed and restarted the same way for every server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::dependency::Dependency;
use crate::process::{
    TempDir, accepts_connections, free_port, is_alive, process_tree, signal_tree, spawn_tied,
    stop_tree, sweep_abandoned, wait_until,
};

type Launch = Box<dyn Fn(&Path) -> Command + Send + Sync>;

/// A server process tied to the test process (it dies with it), logging to `server.log`
/// in its directory. Killed on drop; its directory is removed with it.
pub struct Daemon {
    what: &'static str,
    addr: SocketAddr,
    launch: Launch,
    child: Option<Child>,
    ready_within: Duration,
    dir: TempDir,
}

impl Daemon {
    /// A new directory `<tmp>/health-runtime-<label>-<pid>-<n>` and a free port for a
    /// server not yet started; sweeps what dead test processes left for `label` first.
    pub fn prepare(label: &'static str) -> (TempDir, SocketAddr) {
        sweep_abandoned(label);
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        (TempDir::new(label), addr)
    }

    /// Starts `launch(dir)` and waits until it accepts connections on `addr` (at most
    /// `ready_within`); panics with the server's log when it exits or never listens.
    pub fn start(
        what: &'static str,
        dir: TempDir,
        addr: SocketAddr,
        ready_within: Duration,
        launch: impl Fn(&Path) -> Command + Send + Sync + 'static,
    ) -> Daemon {
        let mut daemon = Daemon {
            what,
            addr,
            launch: Box::new(launch),
            child: None,
            ready_within,
            dir,
        };
        daemon.spawn();
        daemon
    }

    /// The server's own directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .expect("open the server log");
        let mut command = (self.launch)(self.dir.path());
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        let child = spawn_tied(&mut command)
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.what));
        self.child = Some(child);
        let deadline = Instant::now() + self.ready_within;
        while !accepts_connections(self.addr) {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "{} did not listen on {} ({}); its log:\n{}",
                    self.what,
                    self.addr,
                    exited.map_or("still running".to_owned(), |s| s.to_string()),
                    std::fs::read_to_string(self.log()).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> Option<i32> {
        let child = self.child.as_ref()?;
        Some(i32::try_from(child.id()).expect("pid fits in i32"))
    }
}

impl Dependency for Daemon {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn freeze(&self) {
        if let Some(pid) = self.pid() {
            stop_tree(pid);
        }
    }

    fn thaw(&self) {
        if let Some(pid) = self.pid() {
            signal_tree(pid, libc::SIGCONT);
        }
    }

    fn kill(&mut self) {
        let Some(pid) = self.pid() else { return };
        let processes = process_tree(pid);
        signal_tree(pid, libc::SIGKILL);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        wait_until(self.what, Duration::from_secs(10), || {
            processes.iter().all(|pid| !is_alive(*pid))
        });
        let addr = self.addr;
        wait_until("port closed", Duration::from_secs(10), || {
            !accepts_connections(addr)
        });
    }

    fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            signal_tree(pid, libc::SIGKILL);
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}
