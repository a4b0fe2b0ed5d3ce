//! What of an error message may be shown in a response.
//!
//! A driver's error can carry the connection string it was given and a user's check can
//! format a URL or a header into its error, so every message is scrubbed before it reaches
//! a response: the password of `scheme://user:password@host`, the value of every
//! `password=` / `token=` / `key=` / `api-key:` / `Authorization:`-like pair, and the token
//! after `Bearer` become `***`. Then the message is capped at [`MAX_ERROR_LEN`] bytes.
//!
//! The scanner errs on the side of masking: a value that merely follows a word such as
//! `token:` is hidden too. It is a small hand-written scanner rather than regular
//! expressions, so the rules stay readable in one place and no regex engine is compiled
//! into every service for them.

/// The longest error message a response carries; the rest is cut with `…`.
pub const MAX_ERROR_LEN: usize = 1024;

/// What a masked secret is replaced with.
const MASK: &str = "***";

/// The form of a check's error message that is safe to put in a response: credentials
/// masked (see [`redact`]) and the length capped at [`MAX_ERROR_LEN`].
pub(crate) fn public_error(message: String) -> String {
    cap(redact(&message))
}

/// Masks the credentials in `text`: URL passwords, the values of secret-looking keys and
/// bearer tokens.
///
/// ```
/// use health_runtime::redact;
///
/// assert_eq!(
///     redact("error connecting to postgres://app:hunter2@db:5432/app"),
///     "error connecting to postgres://app:***@db:5432/app",
/// );
/// assert_eq!(
///     redact("host=db user=app password='hunter 2' dbname=app"),
///     "host=db user=app password='***' dbname=app",
/// );
/// assert_eq!(redact("Authorization: Bearer abc.def"), "Authorization: Bearer ***");
/// assert_eq!(redact("GET /v1/models?api-version=1&key=abc"), "GET /v1/models?api-version=1&key=***");
/// ```
pub fn redact(text: &str) -> String {
    let masked = mask_url_passwords(text);
    mask_key_values(&masked)
}

/// `scheme://user:password@host` → `scheme://user:***@host`. A userinfo without `:` is a
/// bare user name and kept.
fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len = after
            .find(|c: char| c.is_whitespace() || "/?#\"'<>()[]{},;".contains(c))
            .unwrap_or(after.len());
        let authority = &after[..authority_len];
        match authority.rfind('@') {
            Some(user_end) => {
                let userinfo = &authority[..user_end];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(MASK);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[user_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    out
}

/// Words whose presence anywhere in a key makes its value secret (`db_password`,
/// `PGPASSWORD`, `access_token`, `client_secret`).
const SECRET_WORDS: [&str; 6] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
];

/// Short words that make a key secret only as a whole segment (`key`, `api-key`,
/// `x-api-key`, `pwd`, `sig`), so that `monkey` or `bypass` are left alone.
const SECRET_SEGMENTS: [&str; 8] = [
    "key",
    "pwd",
    "pass",
    "auth",
    "authorization",
    "sig",
    "signature",
    "cookie",
];

/// HTTP authentication schemes kept in front of a masked credential.
const AUTH_SCHEMES: [&str; 5] = ["bearer", "basic", "token", "digest", "negotiate"];

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
        || key
            .split(['_', '-', '.'])
            .any(|segment| SECRET_SEGMENTS.contains(&segment))
}

fn is_auth_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("authorization") || key == "auth"
}

/// Where an unquoted value ends.
fn value_end(text: &str) -> usize {
    text.find(|c: char| c.is_whitespace() || "&;,)]}\"'<>#".contains(c))
        .unwrap_or(text.len())
}

/// Masks `key=value`, `key: value`, `"key": "value"` and `key='quoted value'` pairs whose
/// key looks secret, and the token after a standalone `Bearer`.
fn mask_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest.chars().next().expect("pos is inside text");
        if !is_key_char(c) {
            out.push(c);
            pos += c.len_utf8();
            continue;
        }
        let key_len = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
        let key = &rest[..key_len];
        out.push_str(key);
        pos += key_len;
        if key.eq_ignore_ascii_case("bearer") {
            pos += mask_credential_after_scheme(&text[pos..], &mut out);
        } else if is_secret_key(key) {
            pos += mask_pair_value(&text[pos..], is_auth_key(key), &mut out);
        }
    }
    out
}

/// After a secret key: copies the separator and masks the value, returning the bytes
/// consumed. Consumes nothing when no `=` or `:` follows (the word was just a word).
fn mask_pair_value(text: &str, is_auth: bool, out: &mut String) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'"' | b'\'')) {
        i += 1; // the closing quote of a JSON key
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b'=' | b':')) {
        return 0;
    }
    i += 1;
    // `::` is a path separator, not an assignment.
    if bytes.get(i) == Some(&b':') {
        return 0;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    // A `Debug`-printed `Option`: mask what is inside `Some(...)`.
    if text[i..].starts_with("Some(") {
        i += "Some(".len();
    }
    out.push_str(&text[..i]);
    let value = &text[i..];
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => i + mask_quoted(value, quote, out),
        Some(_) if is_auth => i + mask_auth_value(value, out),
        Some(_) => {
            let end = value_end(value);
            if end > 0 {
                out.push_str(MASK);
            }
            i + end
        }
        None => i,
    }
}

/// Masks the inside of a quoted value, keeping the quotes; a backslash escapes the next
/// character (libpq and JSON both use it).
fn mask_quoted(value: &str, quote: char, out: &mut String) -> usize {
    let mut escaped = false;
    for (i, c) in value.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            out.push(quote);
            out.push_str(MASK);
            out.push(quote);
            return i + c.len_utf8();
        }
    }
    out.push(quote);
    out.push_str(MASK);
    value.len()
}

/// The value of an `Authorization`-like key: `Bearer <token>` keeps the scheme.
fn mask_auth_value(value: &str, out: &mut String) -> usize {
    let scheme_len = value
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(value.len());
    let scheme = &value[..scheme_len];
    if AUTH_SCHEMES
        .iter()
        .any(|known| scheme.eq_ignore_ascii_case(known))
        && value[scheme_len..].starts_with(' ')
    {
        out.push_str(scheme);
        scheme_len + mask_credential_after_scheme(&value[scheme_len..], out)
    } else {
        let end = value_end(value);
        if end > 0 {
            out.push_str(MASK);
        }
        end
    }
}

/// After an authentication scheme word: masks the credential that follows the spaces.
fn mask_credential_after_scheme(text: &str, out: &mut String) -> usize {
    let spaces = text.len() - text.trim_start_matches(' ').len();
    if spaces == 0 {
        return 0;
    }
    let credential = &text[spaces..];
    let end = value_end(credential);
    if end == 0 {
        return 0;
    }
    out.push_str(&text[..spaces]);
    out.push_str(MASK);
    spaces + end
}

fn cap(mut message: String) -> String {
    if message.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn masks(input: &str, expected: &str) {
        assert_eq!(redact(input), expected, "input: {input}");
    }

    #[test]
    fn url_passwords() {
        masks("postgres://u:secret@h", "postgres://u:***@h");
        masks(
            "error connecting to postgresql://app:s3cr%40t@db.internal:5432/app?sslmode=require: refused",
            "error connecting to postgresql://app:***@db.internal:5432/app?sslmode=require: refused",
        );
        masks(
            "redis://:hunter2@127.0.0.1:6379/0",
            "redis://:***@127.0.0.1:6379/0",
        );
        masks(
            "rediss://default:pw@cache:6380",
            "rediss://default:***@cache:6380",
        );
        masks("amqp://guest:guest@localhost", "amqp://guest:***@localhost");
        masks(
            "a https://u:p@one.example and b mysql://x:y@two/db",
            "a https://u:***@one.example and b mysql://x:***@two/db",
        );
        masks("(url: \"http://u:p@h/x\")", "(url: \"http://u:***@h/x\")");
        masks(
            "pw with @ in it: postgres://u:p@ss@h/db",
            "pw with @ in it: postgres://u:***@h/db",
        );
    }

    #[test]
    fn urls_without_password_are_kept() {
        masks("postgres://app@db:5432/app", "postgres://app@db:5432/app");
        masks(
            "http://127.0.0.1:8080/health",
            "http://127.0.0.1:8080/health",
        );
        masks("see https://docs.rs/x@1.0", "see https://docs.rs/x@1.0");
        masks("ends with ://", "ends with ://");
        masks(
            "tcp connect error: Connection refused (os error 111)",
            "tcp connect error: Connection refused (os error 111)",
        );
    }

    #[test]
    fn libpq_key_values() {
        masks(
            "host=db port=5432 user=app password=hunter2 dbname=app",
            "host=db port=5432 user=app password=*** dbname=app",
        );
        masks(
            "host=db password='with space \\' and quote' user=app",
            "host=db password='***' user=app",
        );
        masks("pwd=abc;uid=sa;server=db", "pwd=***;uid=sa;server=db");
        masks("Password=abc;User ID=sa", "Password=***;User ID=sa");
        masks("PGPASSWORD=abc psql", "PGPASSWORD=*** psql");
        masks("sslpassword = abc host=db", "sslpassword = *** host=db");
        masks("password=", "password=");
    }

    #[test]
    fn query_parameters() {
        masks(
            "GET /openai/deployments?api-version=2024-12-01-preview&api-key=sk-123",
            "GET /openai/deployments?api-version=2024-12-01-preview&api-key=***",
        );
        masks("https://h/x?token=abc&x=1", "https://h/x?token=***&x=1");
        masks("https://h/x?key=abc#frag", "https://h/x?key=***#frag");
        masks(
            "https://h/x?access_token=abc",
            "https://h/x?access_token=***",
        );
        masks(
            "https://h/blob?sv=2022&sig=abc%2Fdef",
            "https://h/blob?sv=2022&sig=***",
        );
        masks(
            "https://h/x?monkey=banana&bypass=1",
            "https://h/x?monkey=banana&bypass=1",
        );
    }

    #[test]
    fn headers_and_bearer_tokens() {
        masks("api-key: sk-abc123", "api-key: ***");
        masks("x-api-key:sk-abc123", "x-api-key:***");
        masks(
            "Authorization: Bearer eyJhbGciOi.J9.x",
            "Authorization: Bearer ***",
        );
        masks(
            "authorization=Basic dXNlcjpwYXNz",
            "authorization=Basic ***",
        );
        masks(
            "Proxy-Authorization: opaque-value",
            "Proxy-Authorization: ***",
        );
        masks("sent bearer abc123 upstream", "sent bearer *** upstream");
        masks("Bearer", "Bearer");
        masks("Cookie: session=abc", "Cookie: ***");
    }

    #[test]
    fn json_like_pairs() {
        masks(
            r#"{"user":"app","password":"hunter2","host":"db"}"#,
            r#"{"user":"app","password":"***","host":"db"}"#,
        );
        masks(r#"{"client_secret": "abc"}"#, r#"{"client_secret": "***"}"#);
        masks(
            "Config { password: Some(\"x\"), user: Some(\"app\") }",
            "Config { password: Some(\"***\"), user: Some(\"app\") }",
        );
    }

    #[test]
    fn words_that_are_not_pairs_are_kept() {
        masks(
            "FATAL: password authentication failed for user \"app\"",
            "FATAL: password authentication failed for user \"app\"",
        );
        masks(
            "WRONGPASS invalid username-password pair",
            "WRONGPASS invalid username-password pair",
        );
        masks("invalid token", "invalid token");
        masks("Timeout after 1000ms", "Timeout after 1000ms");
        masks(
            "health_runtime::checks::redis",
            "health_runtime::checks::redis",
        );
        masks("key::path", "key::path");
        masks("", "");
    }

    #[test]
    fn non_ascii_text_survives() {
        masks("échec: password=ünïcode café", "échec: password=*** café");
        masks(
            "Verbindung fehlgeschlagen — token=abc",
            "Verbindung fehlgeschlagen — token=***",
        );
    }

    #[test]
    fn public_error_masks_then_caps() {
        let long = format!("postgres://u:secret@h {}", "x".repeat(2 * MAX_ERROR_LEN));
        let public = public_error(long);
        assert!(public.starts_with("postgres://u:***@h "));
        assert!(!public.contains("secret"));
        assert_eq!(public.len(), MAX_ERROR_LEN + '…'.len_utf8());
    }

    #[test]
    fn cap_respects_char_boundaries() {
        let message = "é".repeat(MAX_ERROR_LEN);
        let capped = cap(message);
        assert!(capped.ends_with('…'));
        assert!(capped.len() <= MAX_ERROR_LEN + '…'.len_utf8());
    }
}
