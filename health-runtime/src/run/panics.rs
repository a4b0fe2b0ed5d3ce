//! Panics inside a check, printed redacted. A panic is caught and becomes the check's
//! result (`check panicked: …`, redacted), but Rust prints every panic through its panic
//! hook first, message and all, before anything can catch it. While a check's code runs —
//! its function, each poll of its future, its drop — the thread carries a [`PanicScope`];
//! the hook this module installs (once, chaining to the one it replaces for every other
//! panic) prints a panic inside that scope with its message scrubbed of the check's
//! secrets and of credential shapes, and names the check.

use std::any::Any;
use std::panic::PanicHookInfo;
use std::sync::{Arc, Once};

use crate::redact::{Secrets, public_error};

/// The check whose code runs on this thread, while it runs.
pub(crate) struct PanicScope {
    pub(crate) check: Arc<str>,
    pub(crate) secrets: Secrets,
}

scoped_tls::scoped_thread_local!(static RUNNING: PanicScope);

impl PanicScope {
    /// Runs `f` inside this scope: a panic in it is printed redacted.
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        install();
        RUNNING.set(self, f)
    }
}

/// The text of a panic's payload.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.as_str()
    } else {
        "non-string panic payload"
    }
}

fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if RUNNING.is_set() {
                RUNNING.with(|scope| eprintln!("{}", printed(scope, info)));
            } else {
                previous(info);
            }
        }));
    });
}

/// What the hook prints for a panic in `scope`: the default hook's first line, the
/// message redacted, and the check it came from.
fn printed(scope: &PanicScope, info: &PanicHookInfo<'_>) -> String {
    let message = public_error(payload_text(info.payload()), &scope.secrets);
    let thread = std::thread::current();
    let location = info
        .location()
        .map(|at| format!(" at {}:{}:{}", at.file(), at.line(), at.column()))
        .unwrap_or_default();
    format!(
        "thread '{}' panicked{location}:\n{message}\n\
         (in health check `{}`; health-runtime redacted the message and reports the panic \
         as the check's result)",
        thread.name().unwrap_or("<unnamed>"),
        scope.check,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_scope_is_caught_and_its_message_printed_redacted() {
        let secrets = Secrets::default();
        secrets.add("k3y-0f-the-panic");
        let scope = PanicScope {
            check: Arc::from("db"),
            secrets,
        };
        let caught = std::panic::catch_unwind(|| {
            scope.enter(|| panic!("login failed with k3y-0f-the-panic for postgres://u:pw2@db"))
        });
        let payload = caught.expect_err("the panic is caught, not swallowed");
        // The payload itself is what the runner redacts into the result.
        assert!(payload_text(payload.as_ref()).contains("k3y-0f-the-panic"));
        assert!(!RUNNING.is_set(), "the scope ends with the panic");
    }
}
