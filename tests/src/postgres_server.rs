//! A private PostgreSQL cluster on a free loopback port, which tests may stop, freeze,
//! kill and restart. Killed on drop.
//!
//! `initdb` and `pg_ctl` run as the `postgres` OS user when the tests run as root
//! (PostgreSQL refuses to run as root), through `runuser`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::dependency::Dependency;
use crate::process::{
    TempDir, accepts_connections, free_port, is_alive, process_tree, signal, stop_tree,
    sweep_abandoned, wait_until,
};

/// The superuser of every private cluster.
pub const USER: &str = "postgres";

/// A PostgreSQL cluster of the test's own, with password (SCRAM) authentication on
/// `127.0.0.1:<free port>`.
pub struct PostgresServer {
    addr: SocketAddr,
    password: String,
    bin: PathBuf,
    dir: TempDir,
}

impl PostgresServer {
    /// Creates a cluster whose superuser `postgres` has `password`, and starts it.
    pub fn start(password: &str) -> PostgresServer {
        static SWEEP: std::sync::Once = std::sync::Once::new();
        SWEEP.call_once(|| sweep_abandoned("postgres"));
        let bin = bin_dir();
        let dir = TempDir::new("postgres");
        let as_root = unsafe { libc::geteuid() } == 0;
        if as_root {
            let status = Command::new("chown")
                .arg(format!("{USER}:"))
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(
                status.success(),
                "chown of the cluster dir to `{USER}` failed"
            );
        }
        let server = PostgresServer {
            addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            password: password.to_owned(),
            bin,
            dir,
        };
        let pwfile = server.dir.path().join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n")).expect("write the password file");
        if as_root {
            let _ = Command::new("chown")
                .arg(format!("{USER}:"))
                .arg(&pwfile)
                .status();
        }
        server.run_tool(
            "initdb",
            &[
                "-D".as_ref(),
                server.data_dir().as_os_str(),
                "-U".as_ref(),
                USER.as_ref(),
                "--auth=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ],
        );
        server.start_again();
        server
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the cluster's tools as the `postgres` user, panicking with its output
    /// on failure.
    fn run_tool(&self, tool: &str, args: &[&std::ffi::OsStr]) {
        let program = self.bin.join(tool);
        let mut command = if unsafe { libc::geteuid() } == 0 {
            let mut command = Command::new("runuser");
            command.args(["-u", USER, "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
        assert!(
            output.status.success(),
            "{tool} failed ({}):\n{}\n{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Starts the cluster (again) on its port and waits until it accepts connections.
    fn start_again(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=40",
            self.addr.port(),
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.run_tool(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data_dir().as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "30".as_ref(),
                "start".as_ref(),
            ],
        );
        let addr = self.addr;
        wait_until(
            "postgres accepting connections",
            Duration::from_secs(30),
            || accepts_connections(addr),
        );
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `postgres://postgres:<password>@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://{USER}:{}@{}/postgres", self.password, self.addr)
    }

    /// The libpq key-value form: `host=127.0.0.1 port=<port> user=postgres password=...`.
    pub fn key_values(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user={USER} password={} dbname=postgres connect_timeout=10",
            self.addr.port(),
            self.password
        )
    }

    /// The postmaster's pid, from `postmaster.pid`.
    fn postmaster(&self) -> Option<i32> {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    /// The postmaster and every backend and auxiliary process.
    fn processes(&self) -> Vec<i32> {
        self.postmaster()
            .filter(|pid| is_alive(*pid))
            .map(process_tree)
            .unwrap_or_default()
    }
}

impl Dependency for PostgresServer {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// SIGSTOP to the postmaster and every backend and auxiliary process.
    fn freeze(&self) {
        if let Some(postmaster) = self.postmaster().filter(|pid| is_alive(*pid)) {
            stop_tree(postmaster);
        }
    }

    fn thaw(&self) {
        for pid in self.processes() {
            signal(pid, libc::SIGCONT);
        }
    }

    /// SIGKILL to every process of the cluster (a crash, or the OOM killer).
    fn kill(&mut self) {
        let processes = self.processes();
        for &pid in &processes {
            signal(pid, libc::SIGKILL);
        }
        wait_until("postgres processes gone", Duration::from_secs(10), || {
            processes.iter().all(|pid| !is_alive(*pid))
        });
        let addr = self.addr;
        wait_until("postgres port closed", Duration::from_secs(10), || {
            !accepts_connections(addr)
        });
        // A killed postmaster may linger as a zombie until its adoptive parent reaps it,
        // and PostgreSQL takes a zombie's pid in its lock files for a running server.
        let _ = std::fs::remove_file(self.data_dir().join("postmaster.pid"));
        let port = self.addr.port();
        let _ = std::fs::remove_file(self.dir.path().join(format!(".s.PGSQL.{port}.lock")));
        let _ = std::fs::remove_file(self.dir.path().join(format!(".s.PGSQL.{port}")));
    }

    fn restart(&mut self) {
        if !self.processes().is_empty() {
            self.kill();
        }
        self.start_again();
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        for pid in self.processes() {
            signal(pid, libc::SIGKILL);
            signal(pid, libc::SIGCONT);
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/*/bin`, or
/// the directory of an `initdb` on `PATH`. Panics with the install command when there is
/// none: a test never skips because PostgreSQL is missing.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .map(|dir| Path::new(&dir).to_path_buf())
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's `initdb` is not installed; these tests need a real server. \
                 Run `scripts/install-test-deps` (Debian package `postgresql`)."
            )
        })
}
