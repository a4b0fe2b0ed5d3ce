//! A private Mosquitto MQTT broker on a free loopback port, admitting one user from a
//! password file. Killed on drop.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::delegate_dependency;
use crate::process::require_program;

/// The user of every private broker.
pub const USER: &str = "app";

/// A `mosquitto` of the test's own on `127.0.0.1:<free port>`, without persistence.
pub struct MosquittoServer {
    daemon: Daemon,
    password: String,
}

delegate_dependency!(MosquittoServer, daemon);

impl MosquittoServer {
    /// Starts a broker that admits [`USER`] with `password` and nobody anonymous.
    pub fn start(password: &str) -> MosquittoServer {
        let program = require_program("mosquitto", "mosquitto");
        let passwd = require_program("mosquitto_passwd", "mosquitto");
        let (dir, addr) = Daemon::prepare("mosquitto");
        let password_file = dir.path().join("passwd");
        let output = Command::new(passwd)
            .arg("-b")
            .arg("-c")
            .arg(&password_file)
            .args([USER, password])
            .output()
            .expect("run mosquitto_passwd");
        assert!(
            output.status.success(),
            "mosquitto_passwd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let config = format!(
            "listener {} 127.0.0.1\nallow_anonymous false\npassword_file {}\npersistence false\n",
            addr.port(),
            password_file.display()
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("write the config");
        let daemon = Daemon::start(
            "mosquitto",
            dir,
            addr,
            Duration::from_secs(20),
            move |dir: &Path| {
                let mut command = Command::new(&program);
                command.arg("-c").arg(dir.join("mosquitto.conf"));
                command
            },
        );
        MosquittoServer {
            daemon,
            password: password.to_owned(),
        }
    }

    /// The password of [`USER`].
    pub fn password(&self) -> &str {
        &self.password
    }
}
