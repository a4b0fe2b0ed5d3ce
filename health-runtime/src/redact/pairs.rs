//! `key=value`, `key: value`, `"key": "value"` pairs whose key sounds secret, the values of
//! `Authorization`-like keys whatever their scheme, and the token after a standalone
//! `Bearer`.

use super::mask::MASK;

/// Words whose presence anywhere in a key (lowercased, separators removed) makes its value
/// secret: `db_password`, `PGPASSWORD`, `access_token`, `client_secret`, `SharedAccessKey`.
const SECRET_WORDS: [&str; 12] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "accesskey",
    "accountkey",
    "privatekey",
    "authkey",
    "subscriptionkey",
];

/// Short words that make a key secret only as a whole segment (`key`, `api-key`,
/// `x-api-key`, `pwd`, `sig`), so that `monkey` or `bypass` are left alone.
const SECRET_SEGMENTS: [&str; 10] = [
    "key",
    "pwd",
    "pw",
    "pass",
    "auth",
    "authorization",
    "sig",
    "signature",
    "cookie",
    "sas",
];

/// Endings that name something about a secret rather than the secret itself
/// (`SharedAccessKeyName`, `token_type`, `AccessKeyId`, `max_tokens`).
const BENIGN_ENDINGS: [&str; 7] = ["name", "id", "type", "file", "path", "tokens", "kind"];

/// Beginnings that make a key the name of a failure about a secret rather than the secret
/// (`ExpiredToken: The token is expired`, `InvalidPassword: …`, `missing_api_key: …`):
/// error codes of Azure, AWS and OAuth servers, followed by prose.
const STATE_BEGINNINGS: [&str; 9] = [
    "expired",
    "invalid",
    "missing",
    "malformed",
    "revoked",
    "unknown",
    "unauthorized",
    "wrong",
    "bad",
];

/// Words after `Bearer` that are prose (`missing bearer token`), not a credential.
const PROSE_AFTER_BEARER: [&str; 12] = [
    "token",
    "tokens",
    "auth",
    "authentication",
    "authorization",
    "header",
    "scheme",
    "is",
    "was",
    "missing",
    "required",
    "invalid",
];

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Whether the value of `key` is a secret: any case, any separator.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let lower = key.to_ascii_lowercase();
    let squashed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if squashed.is_empty()
        || BENIGN_ENDINGS.iter().any(|end| squashed.ends_with(end))
        || STATE_BEGINNINGS
            .iter()
            .any(|state| squashed.starts_with(state) && squashed.len() > state.len())
    {
        return false;
    }
    SECRET_WORDS.iter().any(|word| squashed.contains(word))
        || lower
            .split(['_', '-', '.'])
            .any(|segment| SECRET_SEGMENTS.contains(&segment))
        || ends_with_camel_key(key)
}

/// `apiKey`, `AccountKey`, `masterKEY`: a `Key` word at the end of a camel-cased key.
fn ends_with_camel_key(key: &str) -> bool {
    let Some(head) = key.strip_suffix("Key").or_else(|| key.strip_suffix("KEY")) else {
        return false;
    };
    head.chars()
        .last()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_auth_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("authorization") || key == "auth"
}

/// Where an unquoted value ends: at ASCII whitespace (not a non-breaking space, which a
/// password may hold), `;` of a connection string, a quote or an angle bracket, and `&`
/// when the pair is one of a query or a form (`?a=1&key=v&b=2`) — in a space-separated
/// `key=value` string (`password=pw&rest host=db`) a `&` is part of the value. Never at a
/// comma inside the value. Punctuation that closes a sentence (`password=pw, then`) is
/// left out of the value.
fn value_end(text: &str, in_query: bool) -> usize {
    let end = text
        .find(|c: char| c.is_ascii_whitespace() || ";\"'<>`".contains(c) || in_query && c == '&')
        .unwrap_or(text.len());
    let value = &text[..end];
    let trimmed = value.trim_end_matches([',', '.', ')', ']', '}']);
    if trimmed.is_empty() {
        end
    } else {
        trimmed.len()
    }
}

/// Masks the pairs with a secret-sounding key and the tokens after a standalone `Bearer`.
pub(super) fn mask_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut after_assignment = false;
    let mut in_query = false;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest.chars().next().expect("pos is inside text");
        if !is_key_char(c) {
            out.push(c);
            pos += c.len_utf8();
            after_assignment = c == '=';
            in_query = matches!(c, '?' | '&');
            continue;
        }
        let key_len = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
        let key = &rest[..key_len];
        out.push_str(key);
        pos += key_len;
        // A word right after `=` is a value (`grant_type=client_credentials: 400`).
        if std::mem::take(&mut after_assignment) {
            continue;
        }
        if key.eq_ignore_ascii_case("bearer") {
            pos += mask_bearer_token(&text[pos..], &mut out);
        } else if separator_len(&text[pos..]).is_some() && is_secret_key(key) {
            pos += mask_pair_value(&text[pos..], is_auth_key(key), in_query, &mut out);
        }
    }
    out
}

/// The length of the separator after a key: an optional closing quote of a JSON key
/// (also `\"` inside an escaped JSON string), spaces, `=` or `:`, spaces. `None` when no
/// assignment follows (the word was just a word) or on a `::` path.
fn separator_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    if text.starts_with("\\\"") {
        i += 2;
    } else if matches!(bytes.first(), Some(b'"' | b'\'')) {
        i += 1;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    if !matches!(bytes.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    if bytes.get(i) == Some(&b':') {
        return None;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    // A `Debug`-printed `Option`: mask what is inside `Some(...)`.
    if text[i..].starts_with("Some(") {
        i += "Some(".len();
    }
    Some(i)
}

/// After a secret key: copies the separator and masks the value, returning the bytes
/// consumed.
fn mask_pair_value(text: &str, is_auth: bool, in_query: bool, out: &mut String) -> usize {
    let Some(i) = separator_len(text) else {
        return 0;
    };
    out.push_str(&text[..i]);
    let value = &text[i..];
    if value.starts_with("\\\"") {
        return i + mask_escaped_quoted(value, out);
    }
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => i + mask_quoted(value, quote, out),
        Some(_) if is_auth => i + mask_auth_value(value, out),
        Some(_) => i + mask_plain(value, in_query, out),
        None => i,
    }
}

fn mask_plain(value: &str, in_query: bool, out: &mut String) -> usize {
    let end = value_end(value, in_query);
    if end > 0 {
        out.push_str(MASK);
    }
    end
}

/// Masks the inside of a quoted value, keeping the quotes; a backslash escapes the next
/// character (libpq and JSON both use it), and so does a doubled quote (SQL, ODBC).
pub(super) fn mask_quoted(value: &str, quote: char, out: &mut String) -> usize {
    let mut escaped = false;
    let mut chars = value.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if escaped {
            escaped = false;
        } else if c == '\\' || c == quote && chars.peek().is_some_and(|&(_, n)| n == quote) {
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

/// A value quoted with `\"` inside an escaped JSON string: `{\"password\":\"pw\"}`.
fn mask_escaped_quoted(value: &str, out: &mut String) -> usize {
    out.push_str("\\\"");
    out.push_str(MASK);
    match value[2..].find("\\\"") {
        Some(close) => {
            out.push_str("\\\"");
            close + 4
        }
        None => value.len(),
    }
}

/// The value of an `Authorization`-like key, any scheme: the scheme is kept, the
/// credential masked — one token (`Bearer x`, `Basic x`), or the whole parameter list
/// (`Digest username="u", response="…"`, `AWS4-HMAC-SHA256 Credential=…, Signature=…`).
fn mask_auth_value(value: &str, out: &mut String) -> usize {
    let scheme_len = value
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    let after = &value[scheme_len..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let credential = &after[spaces..];
    if scheme_len == 0 || spaces == 0 || credential.is_empty() {
        return mask_plain(value, true, out);
    }
    out.push_str(&value[..scheme_len + spaces]);
    out.push_str(MASK);
    let end = if is_parameter_list(credential) {
        parameter_list_end(credential)
    } else {
        value_end(credential, true)
    };
    scheme_len + spaces + end
}

/// `Credential=AKIA…/…,` or `username="u",`: a `name=value` list, not one token.
fn is_parameter_list(credential: &str) -> bool {
    let first = credential.split_ascii_whitespace().next().unwrap_or("");
    first.trim_end_matches(['=', ',']).contains('=')
}

/// A parameter list runs to the end of the line, or to a quote that closes the quoted
/// text it sits in (a quote followed by whitespace or the end).
fn parameter_list_end(credential: &str) -> usize {
    let bytes = credential.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' | b'\r' => return i,
            b'"' | b'\'' if bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace) => {
                return i + 1;
            }
            _ => {}
        }
    }
    credential.len()
}

/// After a standalone `Bearer` (any case): masks the token that follows the spaces, unless
/// it is prose (`bearer token expired`) or a parameter (`Bearer realm="api"`).
fn mask_bearer_token(text: &str, out: &mut String) -> usize {
    let spaces = text.len() - text.trim_start_matches(' ').len();
    if spaces == 0 {
        return 0;
    }
    let token = &text[spaces..];
    let end = value_end(token, true);
    let word = &token[..end];
    let prose = PROSE_AFTER_BEARER
        .iter()
        .any(|prose| word.eq_ignore_ascii_case(prose));
    let parameter = word.trim_end_matches('=').contains('=')
        || word.ends_with('=') && token[end..].starts_with(['"', '\'']);
    if end == 0 || prose || parameter {
        return 0;
    }
    out.push_str(&text[..spaces]);
    out.push_str(MASK);
    spaces + end
}
