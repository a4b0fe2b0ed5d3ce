//! How much of a report a caller may see.

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use crate::error::ConfigError;

/// How much of a report the response shows. The full error always goes to the `tracing`
/// log (redacted), whatever the policy.
///
/// ```
/// use health_runtime::{DetailsPolicy, Health};
///
/// // Status only for the public; the full report for whoever holds the token.
/// let health = Health::builder()
///     .details(DetailsPolicy::full_with_token("s3cret-probe-token"))
///     .build()
///     .unwrap();
/// # let _ = health;
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub enum DetailsPolicy {
    /// Every check with its latency and (redacted) error: the reference article's report.
    #[default]
    Full,
    /// Only `{"status": ...}`: nothing about the dependencies.
    StatusOnly,
    /// The full report for requests carrying `Authorization: Bearer <token>` (the scheme
    /// in any case), status only for the others. The same goes for `/health/history` and,
    /// with the `ui` feature, the status page, where a browser presents the token once for
    /// a session cookie (see the `ui` module).
    FullWithToken(Arc<str>),
}

impl DetailsPolicy {
    /// The full report only for `Authorization: Bearer <token>` (the scheme in any case).
    /// [`HealthBuilder::build`](crate::HealthBuilder::build) refuses a blank token, and one
    /// with whitespace, control or non-ASCII characters, which no header could carry.
    ///
    /// ```
    /// use health_runtime::{ConfigError, DetailsPolicy, Health};
    ///
    /// let error = Health::builder()
    ///     .details(DetailsPolicy::full_with_token("  "))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(error, ConfigError::InvalidToken { .. }));
    /// ```
    pub fn full_with_token(token: impl Into<Arc<str>>) -> Self {
        DetailsPolicy::FullWithToken(token.into())
    }

    /// Refuses a token no request could present, and a blank one.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let DetailsPolicy::FullWithToken(token) = self else {
            return Ok(());
        };
        let reason = if token.trim().is_empty() {
            "it is empty or blank"
        } else if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            "it holds whitespace, control or non-ASCII characters, which no `Authorization` header carries"
        } else {
            return Ok(());
        };
        Err(ConfigError::InvalidToken { reason })
    }
}

/// Who sees the full report, as the routes check it: the token is kept only as its
/// SHA-256 digest, so that comparing an offered token takes the same time whatever the
/// token's length and however much of it was guessed right.
pub(crate) enum Access {
    Full,
    StatusOnly,
    Token([u8; 32]),
}

impl Access {
    pub(crate) fn new(policy: &DetailsPolicy) -> Access {
        match policy {
            DetailsPolicy::Full => Access::Full,
            DetailsPolicy::StatusOnly => Access::StatusOnly,
            DetailsPolicy::FullWithToken(token) => Access::Token(digest(token.as_bytes())),
        }
    }

    /// Whether a token grants the full report (the policy is `FullWithToken`).
    pub(crate) fn takes_token(&self) -> bool {
        matches!(self, Access::Token(_))
    }

    #[cfg(feature = "ui")]
    /// Whether `offered` is the token.
    pub(crate) fn is_token(&self, offered: &str) -> bool {
        match self {
            Access::Token(expected) => digests_equal(&digest(offered.as_bytes()), expected),
            Access::Full | Access::StatusOnly => false,
        }
    }

    #[cfg(feature = "ui")]
    /// The value a browser session of the status page carries in its cookie: a digest of
    /// the token's digest, so the cookie never holds the token itself. `None` unless a
    /// token grants access.
    pub(crate) fn session(&self) -> Option<[u8; 32]> {
        match self {
            Access::Token(expected) => Some(digest(expected)),
            Access::Full | Access::StatusOnly => None,
        }
    }

    #[cfg(feature = "ui")]
    /// Whether `offered` (a cookie's value, hex) is the [`Access::session`] value.
    pub(crate) fn is_session(&self, offered: &[u8; 32]) -> bool {
        self.session()
            .is_some_and(|session| digests_equal(&session, offered))
    }

    /// Whether a request with these headers sees the full report.
    pub(crate) fn shows_details(&self, headers: &HeaderMap) -> bool {
        match self {
            Access::Full => true,
            Access::StatusOnly => false,
            Access::Token(expected) => headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .filter_map(bearer_token)
                .fold(false, |granted, offered| {
                    granted | digests_equal(&digest(offered.as_bytes()), expected)
                }),
        }
    }
}

/// The credentials of `Bearer <token>`, the scheme in any case (RFC 9110 §11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once([' ', '\t'])?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Compares without an early exit, so response times do not reveal how much of a guessed
/// digest was right.
fn digests_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl fmt::Debug for DetailsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DetailsPolicy::Full => f.write_str("Full"),
            DetailsPolicy::StatusOnly => f.write_str("StatusOnly"),
            DetailsPolicy::FullWithToken(_) => f.write_str("FullWithToken(***)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn token_policy_needs_the_exact_token() {
        let policy = DetailsPolicy::full_with_token("abc123");
        let access = Access::new(&policy);
        for granted in [
            "Bearer abc123",
            "bearer abc123",
            "BEARER  abc123 ",
            "bEaReR\tabc123",
        ] {
            assert!(access.shows_details(&authorization(granted)), "{granted}");
        }
        for refused in [
            "Bearer abc12",
            "Bearer abc1234",
            "Basic abc123",
            "abc123",
            "Bearer",
        ] {
            assert!(!access.shows_details(&authorization(refused)), "{refused}");
        }
        assert!(!access.shows_details(&HeaderMap::new()));
        assert!(!format!("{policy:?}").contains("abc123"));
    }

    #[test]
    fn tokens_no_request_could_carry_are_refused() {
        for token in ["", "   ", "two words", "tab\there", "caf\u{e9}"] {
            let policy = DetailsPolicy::full_with_token(token);
            assert!(
                matches!(policy.validate(), Err(ConfigError::InvalidToken { .. })),
                "{token:?}"
            );
        }
        assert_eq!(DetailsPolicy::full_with_token("s3cret").validate(), Ok(()));
    }
}
