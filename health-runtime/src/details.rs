//! How much of a report a caller may see.

use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, header};

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
    /// The full report for requests carrying `Authorization: Bearer <token>`, status only
    /// for the others.
    FullWithToken(Arc<str>),
}

impl DetailsPolicy {
    /// The full report only for `Authorization: Bearer <token>`.
    pub fn full_with_token(token: impl Into<Arc<str>>) -> Self {
        DetailsPolicy::FullWithToken(token.into())
    }

    /// Whether a request with these headers sees the full report.
    pub(crate) fn shows_details(&self, headers: &HeaderMap) -> bool {
        match self {
            DetailsPolicy::Full => true,
            DetailsPolicy::StatusOnly => false,
            DetailsPolicy::FullWithToken(token) => headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .filter_map(|value| value.strip_prefix("Bearer "))
                .any(|offered| constant_time_eq(offered.trim().as_bytes(), token.as_bytes())),
        }
    }
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

/// Compares without an early exit, so response times do not reveal how much of a guessed
/// token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
        headers.insert(header::AUTHORIZATION, value);
        headers
    }

    #[test]
    fn token_policy_needs_the_exact_token() {
        let policy = DetailsPolicy::full_with_token("abc123");
        assert!(policy.shows_details(&bearer("abc123")));
        assert!(!policy.shows_details(&bearer("abc12")));
        assert!(!policy.shows_details(&bearer("abc1234")));
        assert!(!policy.shows_details(&HeaderMap::new()));
        assert!(!format!("{policy:?}").contains("abc123"));
    }
}
