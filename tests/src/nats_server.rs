//! A private `nats-server` on a free loopback port, with a user and password. Killed on
//! drop.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::delegate_dependency;
use crate::dependency::Dependency;
use crate::process::require_program;

/// The user of every private server.
pub const USER: &str = "app";

/// A `nats-server` of the test's own on `127.0.0.1:<free port>`, without JetStream.
pub struct NatsServer {
    daemon: Daemon,
    password: String,
}

delegate_dependency!(NatsServer, daemon);

impl NatsServer {
    /// Starts a server that admits [`USER`] with `password` and nobody else.
    pub fn start(password: &str) -> NatsServer {
        let program = require_program("nats-server", "nats-server");
        let (dir, addr) = Daemon::prepare("nats");
        // The credentials go in a configuration file, not on the command line.
        let config = format!(
            "listen: 127.0.0.1:{}\nauthorization {{\n  user: {USER}\n  password: \"{password}\"\n}}\n",
            addr.port()
        );
        std::fs::write(dir.path().join("nats.conf"), config).expect("write nats.conf");
        let daemon = Daemon::start(
            "nats-server",
            dir,
            addr,
            Duration::from_secs(20),
            move |dir: &Path| {
                let mut command = Command::new(&program);
                command.arg("-c").arg(dir.join("nats.conf"));
                command
            },
        );
        NatsServer {
            daemon,
            password: password.to_owned(),
        }
    }

    /// `nats://127.0.0.1:<port>`, without the credentials.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr())
    }

    /// The password of [`USER`].
    pub fn password(&self) -> &str {
        &self.password
    }
}
