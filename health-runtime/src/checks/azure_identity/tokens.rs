//! Tokens of one scope, cached and refreshed ahead of expiry by a task of their own, so that a
//! run uses the token in hand and never waits on a fetch that could have been done earlier.
//!
//! The task fetches the first token as soon as the tokens are asked for (when the check is
//! built inside a runtime, or on its first run), then again when the token has half its
//! lifetime, and at most five minutes, left: `azure_identity`'s own cache hands out a new
//! token from five minutes before expiry, and Microsoft's Service Bus client refreshes its
//! CBS token minutes ahead (azure-sdk-for-net `Amqp/AmqpConnectionScope.cs`
//! `AuthorizationRefreshBuffer`). A failed fetch is retried with a doubling delay (up to 30
//! s) while the token in hand stays usable; once it is not, a run reports the last failure
//! at once instead of waiting.

use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azure_core::credentials::{AccessToken, TokenCredential};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::checks::failure::error_chain;
use crate::redact::Secrets;

/// The most a token is refreshed ahead of its expiry.
const REFRESH_AHEAD: Duration = Duration::from_secs(300);
/// The most a token's last moments are kept from use (clock skew, a slow request).
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// The retry delays of a failed fetch: the first, and the most.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(30);
/// The shortest wait between two fetches, whatever the token's lifetime.
const MIN_REFRESH: Duration = Duration::from_millis(500);

/// The tokens of one credential for one scope. Cheap to clone: every clone shares the
/// cache and its refresh task.
#[derive(Clone)]
pub(crate) struct AccessTokens {
    inner: Arc<Inner>,
}

struct Inner {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    /// The name its tokens rotate under in a [`Secrets`] set: each refresh replaces the
    /// token before, so the set stays small however long the service runs.
    rotation: String,
    source: Arc<str>,
    redaction: Arc<Redaction>,
    state: Mutex<State>,
    changed: Notify,
}

/// Where the tokens of a credential are registered as they are fetched, and the other
/// secrets of the credential (the identity endpoint's header) registered with them.
#[derive(Default)]
pub(super) struct Redaction {
    sets: Mutex<Vec<Secrets>>,
    fixed: Vec<String>,
}

impl Redaction {
    pub(super) fn with_fixed(fixed: Vec<String>) -> Redaction {
        Redaction {
            sets: Mutex::default(),
            fixed,
        }
    }

    /// Registers the fixed secrets in `secrets`, and every token from now on.
    pub(super) fn add_set(&self, secrets: &Secrets) {
        for fixed in &self.fixed {
            secrets.add(fixed);
        }
        self.lock().push(secrets.clone());
    }

    fn register(&self, rotation: &str, token: &str) {
        for secrets in self.lock().iter() {
            secrets.rotate(rotation, token);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Secrets>> {
        self.sets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    last_error: Option<String>,
    refresher: Option<JoinHandle<()>>,
}

/// A token, and when it expires.
#[derive(Clone)]
pub(crate) struct Token {
    secret: Arc<str>,
    /// `Bearer <token>`, marked sensitive: made once per token, not once per run.
    bearer: Option<http::HeaderValue>,
    expires_at: SystemTime,
    refresh_at: SystemTime,
    usable_until: SystemTime,
}

impl Token {
    fn new(access: &AccessToken, now: SystemTime) -> Token {
        let nanos = access.expires_on.unix_timestamp_nanos();
        let expires_at = u64::try_from(nanos)
            .map(|nanos| UNIX_EPOCH + Duration::from_nanos(nanos))
            .unwrap_or(UNIX_EPOCH);
        let lifetime = expires_at.duration_since(now).unwrap_or_default();
        let bearer = http::HeaderValue::try_from(format!("Bearer {}", access.token.secret()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Token {
            secret: access.token.secret().into(),
            bearer,
            expires_at,
            refresh_at: expires_at - (lifetime / 2).min(REFRESH_AHEAD),
            usable_until: expires_at - (lifetime / 10).min(EXPIRY_MARGIN),
        }
    }

    /// The token itself: send it, never show it.
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// `Authorization: Bearer <token>`; `None` for a token that is no header value.
    #[cfg_attr(
        not(any(feature = "hyper", feature = "reqwest")),
        expect(dead_code, reason = "the HTTP checks'")
    )]
    pub(crate) fn bearer(&self) -> Option<&http::HeaderValue> {
        self.bearer.as_ref()
    }

    /// When the token expires.
    #[cfg_attr(
        not(feature = "fe2o3-amqp"),
        expect(dead_code, reason = "the Service Bus check's")
    )]
    pub(crate) fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    pub(super) fn new(
        credential: Arc<dyn TokenCredential>,
        scope: &str,
        source: Arc<str>,
        redaction: Arc<Redaction>,
    ) -> AccessTokens {
        let tokens = AccessTokens {
            inner: Arc::new(Inner {
                credential,
                rotation: {
                    static NEXT: std::sync::atomic::AtomicU64 =
                        std::sync::atomic::AtomicU64::new(0);
                    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    format!("entra-id-token-{id}")
                },
                scope: scope.to_owned(),
                source,
                redaction,
                state: Mutex::new(State::default()),
                changed: Notify::new(),
            }),
        };
        // Built inside the application's runtime: the first token is on its way before the
        // first probe asks for it.
        if tokio::runtime::Handle::try_current().is_ok() {
            tokens.ensure_refresher(&mut tokens.lock());
        }
        tokens
    }

    /// Where the tokens come from (`managed identity (IMDS)`, ...), for error messages.
    #[cfg_attr(
        not(feature = "fe2o3-amqp"),
        expect(dead_code, reason = "the Service Bus check's")
    )]
    pub(crate) fn source(&self) -> &str {
        &self.inner.source
    }

    /// Adds `token` and the credential's other secrets to `secrets`, before a run sends it;
    /// the token replaces the one before it.
    pub(crate) fn register(&self, secrets: &Secrets, token: &Token) {
        secrets.rotate(&self.inner.rotation, token.secret());
        for fixed in &self.inner.redaction.fixed {
            secrets.add(fixed);
        }
    }

    /// The token in hand, without waiting.
    pub(super) fn peek(&self) -> Option<Token> {
        self.lock().token.clone()
    }

    /// The token in hand; else, the last fetch's failure at once; else (no fetch has ended
    /// yet) the first fetch's outcome, which the run's timeout bounds.
    pub(crate) async fn token(&self) -> Result<Token, String> {
        loop {
            let changed = {
                let mut state = self.lock();
                self.ensure_refresher(&mut state);
                if let Some(token) = &state.token
                    && SystemTime::now() < token.usable_until
                {
                    return Ok(token.clone());
                }
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
                // Created under the lock: the task's notification cannot slip by.
                self.inner.changed.notified()
            };
            changed.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Starts the refresh task unless it runs: a task of a runtime that was shut down (a
    /// test's) has ended and is started again in the current one.
    fn ensure_refresher(&self, state: &mut State) {
        let running = state
            .refresher
            .as_ref()
            .is_some_and(|task| !task.is_finished());
        if running {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            state.refresher = Some(runtime.spawn(refresh(Arc::downgrade(&self.inner))));
        }
    }
}

/// Fetches, records and sleeps until the next fetch is due; ends once every handle on the
/// tokens is gone.
async fn refresh(tokens: Weak<Inner>) {
    let mut retry = FIRST_RETRY;
    loop {
        let Some(inner) = tokens.upgrade() else {
            return;
        };
        let fetched = inner
            .credential
            .get_token(&[inner.scope.as_str()], None)
            .await;
        let now = SystemTime::now();
        let wait = match fetched {
            Ok(access) => {
                let token = Token::new(&access, now);
                inner.redaction.register(&inner.rotation, token.secret());
                retry = FIRST_RETRY;
                let wait = token.refresh_at.duration_since(now).unwrap_or_default();
                inner.record(Ok(token));
                wait.max(MIN_REFRESH)
            }
            Err(error) => {
                let wait = retry;
                retry = (retry * 2).min(LAST_RETRY);
                inner.record(Err(format!(
                    "Entra ID token from {} for {}: {}",
                    inner.source,
                    inner.scope,
                    error_chain(&error).replace('\n', " ")
                )));
                wait
            }
        };
        drop(inner);
        tokio::time::sleep(wait).await;
    }
}

impl Inner {
    fn record(&self, fetched: Result<Token, String>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match fetched {
            Ok(token) => {
                state.token = Some(token);
                state.last_error = None;
            }
            Err(error) => state.last_error = Some(error),
        }
        drop(state);
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::Secret;
    use azure_core::time::OffsetDateTime;

    #[test]
    fn refresh_and_use_windows_follow_the_lifetime() {
        let now = SystemTime::now();
        let in_seconds = |seconds: i64| {
            let access = AccessToken::new(
                Secret::new("t"),
                OffsetDateTime::now_utc() + azure_core::time::Duration::seconds(seconds),
            );
            let token = Token::new(&access, now);
            let after = |at: SystemTime| at.duration_since(now).unwrap_or_default().as_secs();
            (after(token.refresh_at), after(token.usable_until))
        };
        // An hour's token: refreshed five minutes ahead, used until 30 s before expiry.
        assert_eq!(in_seconds(3600), (3300, 3570));
        // A short one: refreshed at half its life, used until its last tenth.
        assert_eq!(in_seconds(10), (5, 9));
    }
}
