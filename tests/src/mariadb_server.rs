//! A private MariaDB server (`mariadbd`) with its own data directory, socket and port,
//! and an application user with a password. Killed on drop.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::delegate_dependency;
use crate::dependency::Dependency;
use crate::process::require_program;

/// The application user of every private server; it owns the database [`DATABASE`].
pub const USER: &str = "app";
/// The application's database.
pub const DATABASE: &str = "app";

/// A small InnoDB (about 20 MB on disk instead of 110): many servers run at once.
const SMALL: [&str; 2] = [
    "--innodb-log-file-size=4M",
    "--innodb-data-file-path=ibdata1:4M:autoextend",
];

/// A `mariadbd` of the test's own on `127.0.0.1:<free port>`.
pub struct MariaDbServer {
    daemon: Daemon,
    password: String,
}

delegate_dependency!(MariaDbServer, daemon);

impl MariaDbServer {
    /// Creates a data directory with `mariadb-install-db`, and starts the server with
    /// the user [`USER`] identified by `password`.
    pub fn start(password: &str) -> MariaDbServer {
        let mariadbd = require_program("mariadbd", "mariadb-server");
        let install = require_program("mariadb-install-db", "mariadb-server");
        let (dir, addr) = Daemon::prepare("mariadb");
        let as_root = unsafe { libc::geteuid() } == 0;
        let data = dir.path().join("data");
        // Temporary tables in the server's own directory, not the shared /tmp, where
        // other test processes come and go.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("create the server's tmpdir");
        let mut command = Command::new(install);
        command
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .args(["--auth-root-authentication-method=socket", "--skip-test-db"])
            .args(SMALL);
        if as_root {
            // mariadbd refuses to run as root unless told to.
            command.arg("--user=root");
        }
        run(&mut command, "mariadb-install-db");
        // Run at every start; idempotent, so a restart keeps the same user and data.
        let init = format!(
            "CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' IDENTIFIED BY '{password}';\n\
             GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1';\n\
             CREATE DATABASE IF NOT EXISTS {DATABASE};\n"
        );
        std::fs::write(dir.path().join("init.sql"), init).expect("write init.sql");
        let port = addr.port();
        let daemon = Daemon::start(
            "mariadbd",
            dir,
            addr,
            Duration::from_secs(60),
            move |dir: &Path| {
                let mut command = Command::new(&mariadbd);
                command
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", dir.join("data").display()))
                    .arg(format!("--tmpdir={}", dir.join("tmp").display()))
                    .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
                    .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
                    .arg(format!("--init-file={}", dir.join("init.sql").display()))
                    .arg(format!("--port={port}"))
                    .args(["--bind-address=127.0.0.1", "--skip-name-resolve"])
                    .args(["--skip-log-bin", "--innodb-buffer-pool-size=16M"])
                    .args(["--max-connections=40", "--skip-innodb-doublewrite"])
                    .args(SMALL);
                if as_root {
                    command.arg("--user=root");
                }
                command
            },
        );
        MariaDbServer {
            daemon,
            password: password.to_owned(),
        }
    }

    /// `mysql://app:<password>@127.0.0.1:<port>/app`.
    pub fn url(&self) -> String {
        format!(
            "mysql://{USER}:{}@{}/{DATABASE}",
            self.password,
            self.addr()
        )
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
