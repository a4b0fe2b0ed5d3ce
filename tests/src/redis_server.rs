//! A private `redis-server` on a free loopback port, which tests may stop, freeze, kill
//! and restart. Killed on drop.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::{
    TempDir, accepts_connections, free_port, require_program, signal, wait_until,
};

/// A `redis-server` of the test's own: `127.0.0.1:<free port>`, no persistence, an
/// optional password.
pub struct RedisServer {
    addr: SocketAddr,
    password: Option<String>,
    program: PathBuf,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server without a password.
    pub fn start() -> RedisServer {
        Self::start_with(None)
    }

    /// Starts a server that requires `password`.
    pub fn start_with_password(password: &str) -> RedisServer {
        Self::start_with(Some(password.to_owned()))
    }

    fn start_with(password: Option<String>) -> RedisServer {
        let program = require_program("redis-server", "redis-server");
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut server = RedisServer {
            addr,
            password,
            program,
            dir: TempDir::new("redis"),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut command = Command::new(&self.program);
        command
            .arg("--port")
            .arg(self.addr.port().to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        // If the test process dies without running `Drop` (killed by a timeout), the
        // kernel ends the server with it.
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn redis-server");
        self.child = Some(child);
        let addr = self.addr;
        wait_until(
            "redis-server accepting connections",
            Duration::from_secs(10),
            || accepts_connections(addr),
        );
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://[:password@]127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@{}", self.addr),
            None => format!("redis://{}", self.addr),
        }
    }

    fn pid(&self) -> i32 {
        let child = self.child.as_ref().expect("redis-server is running");
        i32::try_from(child.id()).expect("pid fits in i32")
    }

    /// SIGSTOP: the server keeps its port and connections but answers nothing.
    pub fn pause(&self) {
        signal(self.pid(), libc::SIGSTOP);
    }

    /// SIGCONT after [`RedisServer::pause`].
    pub fn resume(&self) {
        signal(self.pid(), libc::SIGCONT);
    }

    /// SIGKILL (works on a paused server too): connections drop, the port refuses.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server if it runs and starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
