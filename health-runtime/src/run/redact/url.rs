//! The password of `scheme://user:password@host`, up to the last `@` of the URL whatever
//! the password holds (`/`, `#`, `?`, `@`).

use crate::check::MASK;

/// Where a URL written in a message ends: whitespace, a quote, an angle bracket.
fn is_url_end(c: char) -> bool {
    c.is_ascii_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`')
}

/// `scheme://user:password@host` → `scheme://user:***@host`. A userinfo without `:` is a
/// bare user name and kept.
pub(super) fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let url_len = after.find(is_url_end).unwrap_or(after.len());
        mask_userinfo(&after[..url_len], &mut out);
        rest = &after[url_len..];
    }
    out.push_str(rest);
    out
}

/// Writes `url` (what follows `://`) with the password of its userinfo masked. The
/// userinfo runs to the last `@`, so a password holding `@`, `/`, `#` or `?` is masked
/// whole; a `/`, `?` or `#` before the first `:` means the `@` is in the path
/// (`docs.rs/x@1.0`), not after a userinfo.
fn mask_userinfo(url: &str, out: &mut String) {
    let Some(at) = url.rfind('@') else {
        out.push_str(url);
        return;
    };
    let userinfo = &url[..at];
    match userinfo.find(':') {
        Some(colon) if !userinfo[..colon].contains(['/', '?', '#']) => {
            out.push_str(&userinfo[..=colon]);
            out.push_str(MASK);
            out.push_str(&url[at..]);
        }
        _ => out.push_str(url),
    }
}
