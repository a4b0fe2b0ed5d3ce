//! The page's token flow: a token offered once (`?token=` or the form) is exchanged for a
//! session cookie holding a digest of it, which later requests carry instead.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::http::Access;

/// The cookie's name.
const COOKIE: &str = "health_ui";
/// How long a session lasts.
const SESSION_SECONDS: u32 = 12 * 60 * 60;

/// What a request offers.
pub(super) enum Offered {
    Token(String),
    Nothing,
}

/// The `token` of a query string.
pub(super) fn offered_in_query(query: Option<&str>) -> Offered {
    offered_in(query.unwrap_or_default().as_bytes())
}

/// The `token` of a form body (`application/x-www-form-urlencoded`).
pub(super) fn offered_in_form(body: &[u8]) -> Offered {
    offered_in(body)
}

fn offered_in(pairs: &[u8]) -> Offered {
    form_urlencoded::parse(pairs)
        .find(|(key, _)| key == "token")
        .map_or(Offered::Nothing, |(_, token)| {
            Offered::Token(token.trim().to_owned())
        })
}

/// The `Set-Cookie` of a new session for the page at `path`; `None` when no token grants
/// access (there is no session to hold).
pub(super) fn cookie(access: &Access, path: &str, headers: &HeaderMap) -> Option<HeaderValue> {
    let session = access.session()?;
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let value = format!(
        "{COOKIE}={}; Path={path}; Max-Age={SESSION_SECONDS}; HttpOnly; SameSite=Strict{}",
        hex(&session),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).ok()
}

/// Whether the request carries the page's session cookie.
pub(super) fn carried(headers: &HeaderMap, access: &Access) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .filter_map(|(_, value)| unhex(value.trim()))
        .fold(false, |granted, offered| {
            granted | access.is_session(&offered)
        })
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::DetailsPolicy;

    #[test]
    fn a_session_holds_a_digest_that_only_the_token_yields() {
        let access = Access::new(&DetailsPolicy::full_with_token("s3cret-token"));
        let cookie = cookie(&access, "/health/ui", &HeaderMap::new()).unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(!cookie.contains("s3cret-token"), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.contains("Path=/health/ui") && !cookie.contains("Secure"));
        let value = cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {value}")).unwrap(),
        );
        assert!(carried(&headers, &access));
        let other = Access::new(&DetailsPolicy::full_with_token("another-token"));
        assert!(!carried(&headers, &other));
        let forged = format!("{COOKIE}={}", "0".repeat(64));
        headers.insert(header::COOKIE, HeaderValue::from_str(&forged).unwrap());
        assert!(!carried(&headers, &access));
        let open = Access::new(&DetailsPolicy::Full);
        assert!(super::cookie(&open, "/", &HeaderMap::new()).is_none());
    }

    #[test]
    fn behind_tls_the_cookie_is_secure() {
        let access = Access::new(&DetailsPolicy::full_with_token("s3cret-token"));
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let cookie = cookie(&access, "/ops", &headers).unwrap();
        assert!(cookie.to_str().unwrap().ends_with("; Secure"));
    }
}
