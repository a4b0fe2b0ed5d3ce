//! Keeps everything the tests produce that a user could see, for a scan of the whole run
//! (`scan_capture`, run by `scripts/test`): when [`VAR`] names a directory, every HTTP
//! response body the tests' client receives, every log line of the tests' `tracing`
//! writers ([`Logs`]) and the stdout and stderr of every child process running library
//! code are appended to files there, one per test process and source
//! (`{test binary}-{pid}-{source}.log`).
//!
//! When [`VAR`] is unset nothing is written and every helper behaves as the code it
//! replaced did (children's output discarded, log lines only kept in memory).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{DefaultFields, Format};
use tracing_subscriber::fmt::{MakeWriter, SubscriberBuilder};

/// The environment variable naming the capture directory.
pub const VAR: &str = "HEALTH_RUNTIME_TEST_CAPTURE";

/// The capture directory, when [`VAR`] names one (created if missing).
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os(VAR).filter(|v| !v.is_empty())?);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("{VAR}={}: {error}", dir.display()));
        Some(dir)
    })
    .as_deref()
}

/// The file `source` of this process is captured in (`{test binary}-{pid}-{source}.log`),
/// when capturing.
pub fn path(source: &str) -> Option<PathBuf> {
    let dir = dir()?;
    let exe = std::env::current_exe().ok();
    let binary = exe.as_deref().and_then(Path::file_stem).map_or_else(
        || "test".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let name = format!("{binary}-{}-{source}.log", std::process::id());
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(name))
}

fn open(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|error| panic!("capture to {}: {error}", path.display()))
}

/// Appends `text` to the capture file of `source`, ending it with a newline. Safe across
/// threads: each call is one write under a process-wide lock.
pub fn append(source: &str, text: &str) {
    if dir().is_none() {
        return;
    }
    let mut text = text.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    append_raw(source, text.as_bytes());
}

/// Records a response body the tests' client received, each line prefixed with
/// `method path`. The path's query is left out of the prefix: it is what the test sent
/// (a one-time `?token=` included), not something the service showed.
pub fn body(method: &str, path: &str, body: &[u8]) {
    if dir().is_none() {
        return;
    }
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let body = String::from_utf8_lossy(body);
    let mut text = String::new();
    for line in body.split('\n') {
        text.push_str(&format!("{method} {path} {line}\n"));
    }
    append("http", &text);
}

/// Stdout and stderr for a child labelled `label`: files of the capture directory (its
/// `child-{label}.stdout` and `.stderr` sources) when capturing, else discarded.
pub fn child_output(label: &str) -> (Stdio, Stdio) {
    (
        child_file(label, "stdout").unwrap_or_else(Stdio::null),
        child_file(label, "stderr").unwrap_or_else(Stdio::null),
    )
}

/// The capture file of a child's `stream` (`"stdout"` or `"stderr"`) as its [`Stdio`],
/// when capturing; for a child whose other stream the test reads or inherits.
pub fn child_file(label: &str, stream: &str) -> Option<Stdio> {
    path(&format!("child-{label}.{stream}")).map(|path| Stdio::from(open(&path)))
}

/// Where the container output of a kubelet-simulator pod labelled `label` goes
/// (`Kubelet::logs_to`), when capturing.
pub fn pod_log(label: &str) -> Option<PathBuf> {
    path(&format!("pod-{label}"))
}

/// Records what a child labelled `label` printed, for a test that ran it with
/// `Command::output`.
pub fn output(label: &str, output: &Output) {
    if dir().is_none() {
        return;
    }
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        if !bytes.is_empty() {
            append(
                &format!("child-{label}.{stream}"),
                &String::from_utf8_lossy(bytes),
            );
        }
    }
}

/// A reader that records everything read through it to the capture source `source`, so
/// that a test reading a child's stdout (to learn its port, say) keeps it in the capture.
pub struct Tee<R> {
    inner: R,
    source: Option<String>,
}

impl<R> Tee<R> {
    /// Tees `inner` into the capture file of `child-{label}.{stream}`.
    pub fn child(label: &str, stream: &str, inner: R) -> Tee<R> {
        Tee {
            inner,
            source: dir().map(|_| format!("child-{label}.{stream}")),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Tee<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(source)) = (&poll, &self.source) {
            let read = &buf.filled()[before..];
            if !read.is_empty() {
                append_raw(source, read);
            }
        }
        poll
    }
}

/// Appends bytes as they come (a tee sees a line in pieces), in one write under a
/// process-wide lock.
fn append_raw(source: &str, bytes: &[u8]) {
    static FILES: OnceLock<Mutex<HashMap<String, File>>> = OnceLock::new();
    let Some(path) = path(source) else { return };
    let mut files = FILES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let file = files
        .entry(source.to_owned())
        .or_insert_with(|| open(&path));
    let _ = file.write_all(bytes);
}

/// The lines a `tracing` subscriber writes, kept in memory for the test to read and
/// appended to the capture source `logs`: an [`std::io::Write`] and a
/// [`MakeWriter`] for `tracing_subscriber::fmt`.
///
/// ```no_run
/// let logs = tests::capture::Logs::install(tracing_subscriber::filter::LevelFilter::INFO);
/// // ... run the code under test ...
/// assert!(logs.text().contains("check"));
/// ```
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<String>>>);

/// A `tracing_subscriber::fmt` builder writing to [`Logs`].
pub type Builder = SubscriberBuilder<DefaultFields, Format, LevelFilter, Logs>;

impl Logs {
    /// An empty buffer, installed nowhere.
    pub fn new() -> Logs {
        Logs::default()
    }

    /// A `fmt` subscriber builder writing to these logs without ANSI colours, up to
    /// `level`; for a test that configures more (span events) before `finish()`.
    pub fn builder(&self, level: impl Into<LevelFilter>) -> Builder {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_ansi(false)
            .with_max_level(level.into())
    }

    /// A new buffer written by the process-wide default subscriber, up to `level`.
    ///
    /// # Panics
    ///
    /// When a global subscriber is installed already.
    pub fn install(level: impl Into<LevelFilter>) -> Logs {
        let logs = Logs::new();
        tracing::subscriber::set_global_default(logs.builder(level).finish())
            .expect("no global subscriber yet");
        logs
    }

    /// A new buffer written by this thread's default subscriber, up to `level`, until the
    /// guard is dropped.
    pub fn install_for_thread(
        level: impl Into<LevelFilter>,
    ) -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::new();
        let guard = tracing::subscriber::set_default(logs.builder(level).finish());
        (logs, guard)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every write (one per event), in order.
    pub fn entries(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Everything written, as one text.
    pub fn text(&self) -> String {
        self.lock().concat()
    }

    /// Forgets what was written so far (the capture keeps it).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(bytes).into_owned();
        append("logs", &line);
        self.lock().push(line);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}
