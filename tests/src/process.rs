//! Signals, process trees, free ports and bounded waits for the test servers.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A free port on `127.0.0.1`, found by binding port 0 and releasing it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// Sends `signal` to `pid`; a process that is already gone is not an error.
pub fn signal(pid: i32, signal: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// `pid` and all its descendants, parents first, read from `/proc`.
pub fn process_tree(pid: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = all_pids()
        .into_iter()
        .filter_map(|child| Some((child, parent_of(child)?)))
        .collect();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    tree
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    let after_comm = &stat[stat.rfind(')')? + 2..];
    after_comm.split(' ').nth(1)?.parse().ok()
}

/// Whether `pid` still exists (and is not a zombie).
pub fn is_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|end| stat.get(end + 2..end + 3))
            .is_some_and(|state| state != "Z"),
        Err(_) => false,
    }
}

/// Polls `condition` every 50 ms until it holds; panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something accepts TCP connections on `addr`.
pub fn accepts_connections(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// A directory of its own under the system temp dir, removed by [`TempDir`]'s drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/health-runtime-<label>-<pid>-<n>`.
    pub fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("health-runtime-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Finds `program` on `PATH`, or panics saying how to install it: a test never skips
/// because a server is missing.
pub fn require_program(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Daemons live in sbin, which a non-login PATH may leave out.
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{program}` is not installed; these tests need a real server. \
                 Run `scripts/install-test-deps` (Debian package `{package}`)."
            )
        })
}

/// Spawns `command` so that the kernel kills it if the test process dies without running
/// its `Drop`s (killed by a timeout): `PR_SET_PDEATHSIG`.
pub fn spawn_tied(command: &mut std::process::Command) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    command.spawn()
}

/// Sends `sig` to `pid` and every descendant.
pub fn signal_tree(pid: i32, sig: i32) {
    for process in process_tree(pid) {
        signal(process, sig);
    }
}

/// Kills what test processes that died without dropping their servers (killed by a
/// timeout) left behind for `label`, and removes their directories: every directory
/// `<tmp>/health-runtime-<label>-<pid>-<n>` whose `<pid>` is gone, and every process
/// (with its descendants) whose command line or environment names such a directory.
pub fn sweep_abandoned(label: &str) {
    let prefix = format!("health-runtime-{label}-");
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let abandoned: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix)
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<i32>().ok())
                .is_some_and(|owner| !is_alive(owner))
        })
        .map(|entry| entry.path())
        .collect();
    if abandoned.is_empty() {
        return;
    }
    for pid in all_pids() {
        let mentions = |file: &str| {
            std::fs::read(format!("/proc/{pid}/{file}")).is_ok_and(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                abandoned
                    .iter()
                    .any(|dir| text.contains(&*dir.to_string_lossy()))
            })
        };
        if mentions("cmdline") || mentions("environ") {
            signal_tree(pid, libc::SIGKILL);
        }
    }
    for dir in abandoned {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

/// SIGSTOP to `pid` and every descendant, returning once every thread of them has
/// stopped: signals are delivered asynchronously, and a thread still running on another
/// CPU could otherwise answer the very next request.
pub fn stop_tree(pid: i32) {
    let tree = process_tree(pid);
    for &process in &tree {
        signal(process, libc::SIGSTOP);
    }
    wait_until("processes stopped", Duration::from_secs(5), || {
        tree.iter().all(|&process| threads_stopped(process))
    });
}

/// Whether every thread of `pid` is stopped (a process that is gone counts as stopped).
fn threads_stopped(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    tasks.flatten().all(|task| {
        std::fs::read_to_string(task.path().join("stat"))
            .ok()
            .and_then(|stat| {
                let end = stat.rfind(')')?;
                stat.get(end + 2..end + 3).map(str::to_owned)
            })
            .is_none_or(|state| matches!(state.as_str(), "T" | "t" | "Z" | "X"))
    })
}
