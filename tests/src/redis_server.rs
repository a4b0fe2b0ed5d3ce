//! A private `redis-server` on a free loopback port, which tests may stop, freeze, kill
//! and restart. Killed on drop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::dependency::Dependency;
use crate::process::{
    TempDir, accepts_connections, free_port, require_program, signal, spawn_tied, stop_tree,
    wait_until,
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
        let child = spawn_tied(&mut command).expect("spawn redis-server");
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

    /// [`Dependency::freeze`], for callers that do not import the trait.
    pub fn pause(&self) {
        self.freeze();
    }

    /// [`Dependency::thaw`], for callers that do not import the trait.
    pub fn resume(&self) {
        self.thaw();
    }
}

impl Dependency for RedisServer {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn freeze(&self) {
        stop_tree(self.pid());
    }

    fn thaw(&self) {
        signal(self.pid(), libc::SIGCONT);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
