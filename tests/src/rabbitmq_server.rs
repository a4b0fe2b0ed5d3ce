//! A private RabbitMQ node: its own node name, AMQP and distribution ports, mnesia and
//! log directories, Erlang cookie, and enabled-plugins file (with `rabbitmq_amqp1_0`, so
//! that it speaks AMQP 1.0 beside 0-9-1 on its one port), and an application user with a
//! password. Nothing of the machine's own node is read or changed. Killed on drop.
//!
//! A node takes seconds to boot: a test binary starts one with [`RabbitMqServer::shared`]
//! for the cases that do not break it, and its own for those that do.
//!
//! [`RabbitMqServer::start_tls`] adds a TLS listener (AMQPS, which the AMQP 1.0 plugin
//! serves as well) with a certificate of the test's own CA.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::delegate_dependency;
use crate::dependency::Dependency;
use crate::process::free_port;
use crate::secrets::SECRET_PASSWORD;
#[cfg(feature = "builtins")]
use crate::tls_server::TestCa;

/// The application user of every private node.
pub const USER: &str = "app";

/// The node's start script: the Debian wrapper in `/usr/sbin` switches to the `rabbitmq`
/// user and to the machine's own configuration, so the tests run the script it wraps.
const SCRIPT: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// A RabbitMQ node of the test's own on `127.0.0.1:<free port>`.
pub struct RabbitMqServer {
    daemon: Daemon,
    password: String,
    tls_port: Option<u16>,
}

delegate_dependency!(RabbitMqServer, daemon);

impl RabbitMqServer {
    /// Starts a node whose user [`USER`] has `password`.
    pub fn start(password: &str) -> RabbitMqServer {
        RabbitMqServer::start_with(password, None)
    }

    /// Starts a node whose user [`USER`] has `password`, with a TLS listener beside the
    /// plain one serving a certificate of `ca` for `names` ([`RabbitMqServer::tls_port`]).
    #[cfg(feature = "builtins")]
    pub fn start_tls(password: &str, ca: &TestCa, names: &[&str]) -> RabbitMqServer {
        RabbitMqServer::start_with(password, Some((ca, names)))
    }

    #[cfg(feature = "builtins")]
    fn start_with(password: &str, tls: Option<(&TestCa, &[&str])>) -> RabbitMqServer {
        RabbitMqServer::launch(password, |dir| {
            tls.map(|(ca, names)| {
                ca.write_files(dir, names);
                free_port()
            })
        })
    }

    #[cfg(not(feature = "builtins"))]
    fn start_with(password: &str, _tls: Option<()>) -> RabbitMqServer {
        RabbitMqServer::launch(password, |_| None)
    }

    fn launch(password: &str, tls: impl FnOnce(&Path) -> Option<u16>) -> RabbitMqServer {
        let script = Path::new(SCRIPT);
        assert!(
            script.is_file(),
            "RabbitMQ is not installed ({SCRIPT} is missing); these tests need a real \
             server. Run `scripts/install-test-deps` (Debian package `rabbitmq-server`)."
        );
        let (dir, addr) = Daemon::prepare("rabbitmq");
        let port = addr.port();
        let dist_port = free_port();
        // Unique on the machine: the directory's name carries the pid and a counter.
        let node = format!(
            "{}@localhost",
            dir.path().file_name().unwrap().to_string_lossy()
        );
        let tls_port = tls(dir.path());
        write_files(dir.path(), port, password, tls_port);
        let daemon = Daemon::start(
            "rabbitmq-server",
            dir,
            addr,
            Duration::from_secs(90),
            move |dir: &Path| {
                let file = |name: &str| -> PathBuf { dir.join(name) };
                let mut command = Command::new(SCRIPT);
                command
                    .current_dir(dir)
                    // The Erlang cookie is read from (and would be created in) $HOME.
                    .env("HOME", dir)
                    .env("RABBITMQ_NODENAME", &node)
                    .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                    .env("RABBITMQ_NODE_PORT", port.to_string())
                    .env("RABBITMQ_DIST_PORT", dist_port.to_string())
                    .env("RABBITMQ_CONF_ENV_FILE", file("rabbitmq-env.conf"))
                    .env("RABBITMQ_CONFIG_FILE", file("rabbitmq.conf"))
                    .env("RABBITMQ_ENABLED_PLUGINS_FILE", file("enabled_plugins"))
                    .env("RABBITMQ_MNESIA_BASE", file("mnesia"))
                    .env("RABBITMQ_LOG_BASE", file("log"))
                    .env("RABBITMQ_PID_FILE", file("rabbitmq.pid"))
                    .env("RABBITMQ_PLUGINS_EXPAND_DIR", file("plugins-expand"))
                    .env("ERL_EPMD_ADDRESS", "127.0.0.1")
                    // The script then execs the Erlang VM instead of running it as a
                    // child, so the VM itself is tied to the test process (and dies with
                    // it) rather than a shell that would leave it behind.
                    .env("RUNNING_UNDER_SYSTEMD", "true");
                command
            },
        );
        RabbitMqServer {
            daemon,
            password: password.to_owned(),
            tls_port,
        }
    }

    /// The TLS listener's port, for a node started with [`RabbitMqServer::start_tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// The node this test binary shares between the cases that neither freeze nor kill
    /// it, started on first use with [`SECRET_PASSWORD`]. It lives as long as the test
    /// process, which takes it along when it exits.
    pub fn shared() -> &'static RabbitMqServer {
        static SHARED: OnceLock<RabbitMqServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            // PR_SET_PDEATHSIG follows the thread that started the node, and a test's
            // thread ends with the test: the node is started by a thread that never does.
            let (started, node) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("shared-rabbitmq".to_owned())
                .spawn(move || {
                    let server =
                        std::panic::catch_unwind(|| RabbitMqServer::start(SECRET_PASSWORD));
                    let _ = started.send(server);
                    loop {
                        std::thread::park();
                    }
                })
                .expect("spawn the thread of the shared node");
            match node.recv().expect("the shared node's thread answers") {
                Ok(server) => server,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// `amqp://app:<password>@127.0.0.1:<port>/%2f`, for AMQP 0-9-1 clients.
    pub fn url(&self) -> String {
        format!("amqp://{USER}:{}@{}/%2f", self.password, self.addr())
    }

    /// The node's log, for a failed test to show.
    pub fn log(&self) -> String {
        let dir = self.daemon.dir().join("log");
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
            .collect()
    }
}

fn write_files(dir: &Path, port: u16, password: &str, tls_port: Option<u16>) {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    };
    // An empty environment file, so that the machine's (which names its node) is not read.
    write("rabbitmq-env.conf", "");
    write("enabled_plugins", "[rabbitmq_amqp1_0].\n");
    write(
        "rabbitmq.conf",
        &format!(
            "listeners.tcp.default = 127.0.0.1:{port}\n\
             default_user = {USER}\n\
             default_pass = {password}\n\
             loopback_users = none\n\
             log.console = false\n\
             log.file.level = warning\n{}",
            tls_port
                .map(|tls_port| tls_listener(dir, tls_port))
                .unwrap_or_default()
        ),
    );
    // A cookie of its own, readable only by the owner as Erlang requires: whoever runs the
    // tests (root in CI) starts the node without touching the machine's cookie.
    let cookie = dir.join(".erlang.cookie");
    let nonce = format!(
        "HEALTHRUNTIME{}X{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    std::fs::write(&cookie, nonce).expect("write the Erlang cookie");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o400))
        .expect("chmod the Erlang cookie");
}

/// A TLS listener with the files `TestCa::write_files` wrote; clients are not asked
/// for a certificate.
fn tls_listener(dir: &Path, port: u16) -> String {
    let file = |name: &str| dir.join(name).display().to_string();
    format!(
        "listeners.ssl.default = 127.0.0.1:{port}\n\
         ssl_options.cacertfile = {}\n\
         ssl_options.certfile = {}\n\
         ssl_options.keyfile = {}\n\
         ssl_options.verify = verify_none\n\
         ssl_options.fail_if_no_peer_cert = false\n",
        file("ca.pem"),
        file("cert.pem"),
        file("key.pem")
    )
}
