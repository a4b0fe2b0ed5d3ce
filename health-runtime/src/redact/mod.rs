//! Redaction: what of a check's report may be shown in a response or a log.
//!
//! This module depends on nothing else in the crate: every layer above it (checks and
//! their resources, runs, probes, the built-ins) scrubs through it.
//!
//! A driver's error can carry the connection string it was given and a user's check can
//! format a URL or a header into its error, so everything a run reports (its error, every
//! key and string of its `details`, a panic message) is scrubbed before it reaches a
//! response or a log. A long message is first cut to a window a few times
//! [`MAX_ERROR_LEN`], so a 100 MB error costs no more than a short one. Then the secrets the
//! application and the checks registered ([`Secrets`]) are replaced wherever they appear;
//! then, as a second line, the shapes of credentials become `***`:
//!
//! - PEM blocks (`-----BEGIN … PRIVATE KEY-----`), whole;
//! - the password of `scheme://user:password@host`, up to the last `@`, whatever it holds,
//!   and the whole user info where a lone one is the credential (`nats://<token>@host`,
//!   `redis://<password>@host`, `https://<token>@host`);
//! - the secret path of Slack, Discord and Teams webhook URLs
//!   (`hooks.slack.com/services/T…/B…/***`);
//! - `curl -u user:pw`, `--user=user:pw`, `--password pw`, Redis `AUTH [user] pw`;
//! - the value of every `key=value`, `key: value` or `"key": "value"` pair whose key sounds
//!   secret (password, passwd, pwd, passphrase, secret, token, api-key, access key,
//!   `SharedAccessKey`, `AccountKey`, sig, credential, private key, any case and
//!   separator), to the real end of the value: its closing quote, `;` in a connection
//!   string, `&` in a query (not in a space-separated `key=value` string, where a password
//!   may hold `&`), whitespace — not a comma inside it;
//! - the credential of an `Authorization` / `Proxy-Authorization` value of any scheme, and
//!   the token after `Bearer` in any case;
//! - JWTs and the tokens of the families that publish a prefix (OpenAI `sk-`, GitHub `ghp_`
//!   / `github_pat_`, GitLab `glpat-` and its other `gl…-` tokens, Slack `xox?-`, Stripe
//!   `sk_live_`, Google `AIza`, Hugging Face `hf_`, npm, PyPI, Vault `hvs.`, SendGrid `SG.`,
//!   …), and AWS `AKIA` / `ASIA` key ids with the secret key beside them.
//!
//! Then a message is capped at [`MAX_ERROR_LEN`] bytes.
//!
//! The scanner errs on the side of masking: a value that merely follows a word such as
//! `token:` is hidden too. It is a small hand-written scanner rather than regular
//! expressions, so the rules stay readable in one place and no regex engine is compiled
//! into every service for them.

/// The longest error message a response carries; the rest is cut with `…`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use health_runtime::Check;
/// use health_runtime::check::Resources;
/// use health_runtime::redact::MAX_ERROR_LEN;
/// use health_runtime::run::run_checks;
///
/// let verbose = Check::new("verbose", || async { Err::<(), _>("x".repeat(10_000)) });
/// let result = &run_checks([&verbose], &Resources::default()).await[0];
/// assert!(result.error().unwrap().len() <= MAX_ERROR_LEN + '…'.len_utf8());
/// # }
/// ```
pub const MAX_ERROR_LEN: usize = 1024;

mod commands;
mod mask;
mod pairs;
mod pem;
mod secrets;
mod tokens;
mod url;

#[cfg(test)]
mod corpus;

use serde_json::{Map, Value};

pub use secrets::Secrets;

pub(crate) use mask::MASK;

#[cfg(any(feature = "hyper", feature = "reqwest"))]
pub(crate) use pairs::is_secret_key;

/// The form of a check's error message that is safe to put in a response or a log: the
/// known secrets scrubbed, credential shapes masked (see [`redact`]) and the length capped
/// at [`MAX_ERROR_LEN`].
pub(crate) fn public_error(message: &str, secrets: &Secrets) -> String {
    let head = scan_window(message, secrets.longest_form());
    cap(redact(&secrets.scrub(head)))
}

/// The details of a check's report with the same scrubbing as its error, applied to every
/// string, recursively; the value of a secret-sounding key is masked whole.
pub(crate) fn public_details(details: Map<String, Value>, secrets: &Secrets) -> Map<String, Value> {
    details
        .into_iter()
        .map(|(key, value)| {
            let value = if pairs::is_secret_key(&key) && !value.is_null() {
                Value::String(MASK.to_owned())
            } else {
                public_value(value, secrets)
            };
            (public_error(&key, secrets), value)
        })
        .collect()
}

fn public_value(value: Value, secrets: &Secrets) -> Value {
    match value {
        Value::String(text) => Value::String(public_error(&text, secrets)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| public_value(item, secrets))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(public_details(fields, secrets)),
        other => other,
    }
}

/// Masks the credentials in `text`: PEM blocks, URL passwords, command-line credentials
/// (`curl -u`, Redis `AUTH`), the values of secret-looking keys and `Authorization`
/// headers, bearer tokens, JWTs and well-known providers' tokens.
///
/// ```
/// use health_runtime::redact::redact;
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
/// assert_eq!(redact("curl -u app:hunter2 https://api"), "curl -u app:*** https://api");
/// assert_eq!(
///     redact("401 for ghp_0123456789abcdefghijABCDEFGHIJ"),
///     "401 for ghp_***",
/// );
/// ```
pub fn redact(text: &str) -> String {
    let text = pem::mask_pem_blocks(text);
    let text = url::mask_url_credentials(&text);
    let text = commands::mask_commands(&text);
    let text = pairs::mask_key_values(&text);
    tokens::mask_tokens(&text)
}

/// How much of a long message is scrubbed and masked before the result is capped at
/// [`MAX_ERROR_LEN`]: a 100 MB error costs neither memory nor time beyond this.
const SCAN_WINDOW: usize = 8 * MAX_ERROR_LEN;

/// The head of `message` worth redacting: all of it when short; else the first
/// [`SCAN_WINDOW`] bytes (on a char boundary) without the word the cut went through, so
/// that half a credential, which no longer looks like one, is never shown.
fn scan_window(message: &str, longest_secret: usize) -> &str {
    if message.len() <= SCAN_WINDOW {
        return message;
    }
    let head = &message[..floor_char_boundary(message, SCAN_WINDOW)];
    match head.rfind(|c: char| c.is_ascii_whitespace()) {
        Some(space) if space >= MAX_ERROR_LEN => &head[..space],
        _ => {
            let keep = head.len().saturating_sub(longest_secret.max(256));
            &head[..floor_char_boundary(head, keep)]
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn cap(mut message: String) -> String {
    if message.len() > MAX_ERROR_LEN {
        message.truncate(floor_char_boundary(&message, MAX_ERROR_LEN));
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
        // A `#` may be part of a password: the value runs past it.
        masks("https://h/x?key=abc#frag", "https://h/x?key=***");
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
        let public = public_error(&long, &Secrets::default());
        assert!(public.starts_with("postgres://u:***@h "));
        assert!(!public.contains("secret"));
        assert_eq!(public.len(), MAX_ERROR_LEN + '…'.len_utf8());
    }

    #[test]
    fn details_are_scrubbed_recursively() {
        let secrets = Secrets::default();
        secrets.add("t0ps3cret");
        let details = serde_json::json!({
            "dsn": "postgres://u:pw@db/app",
            "password": "anything",
            "nested": [{"note": "sent t0ps3cret"}],
            "count": 3,
        });
        let Value::Object(details) = details else {
            unreachable!()
        };
        let public = Value::Object(public_details(details, &secrets));
        assert_eq!(
            public,
            serde_json::json!({
                "dsn": "postgres://u:***@db/app",
                "password": "***",
                "nested": [{"note": "sent ***"}],
                "count": 3,
            })
        );
    }

    #[test]
    fn a_huge_error_is_cut_before_it_is_scrubbed() {
        let secrets = Secrets::default();
        secrets.add("hunter2-registered");
        let mut huge = "password=hunter2 then ".to_owned();
        huge.push_str(&"é".repeat(50 * 1024 * 1024));
        let head = scan_window(&huge, secrets.longest_form());
        assert!(head.len() <= SCAN_WINDOW);
        assert!(huge.starts_with(head));
        let public = public_error(&huge, &secrets);
        assert!(
            public.starts_with("password=*** then é"),
            "{}",
            &public[..40]
        );
        assert!(public.len() <= MAX_ERROR_LEN + '…'.len_utf8());
    }

    #[test]
    fn a_credential_cut_in_half_by_the_window_is_dropped() {
        let secrets = Secrets::default();
        secrets.add("hunter2-registered");
        // One long word (no whitespace) with a registered secret across the cut.
        let word = format!(
            "{}hunter2-registered{}",
            "a".repeat(SCAN_WINDOW - 6),
            "b".repeat(9999)
        );
        let head = scan_window(&word, secrets.longest_form());
        assert!(!head.contains("hunt"), "{}", &head[head.len() - 20..]);
        // Words: a URL cut before its `@` is dropped with the word it is in.
        let text = format!(
            "{} postgres://u:hunter2{}",
            "x ".repeat(SCAN_WINDOW / 2 - 10),
            "z".repeat(99)
        );
        let head = scan_window(&text, 0);
        assert!(!head.contains("hunter"), "{}", &head[head.len() - 20..]);
        assert!(head.trim_end().ends_with('x'));
    }

    #[test]
    fn cap_respects_char_boundaries() {
        let message = "é".repeat(MAX_ERROR_LEN);
        let capped = cap(message);
        assert!(capped.ends_with('…'));
        assert!(capped.len() <= MAX_ERROR_LEN + '…'.len_utf8());
    }
}
