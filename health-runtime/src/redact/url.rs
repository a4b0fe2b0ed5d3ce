//! Credentials inside URLs: the password of `scheme://user:password@host` (up to the last
//! `@` of the URL, whatever the password holds: `/`, `#`, `?`, `@`), the whole user info of
//! the schemes whose servers take a lone user name as the credential (`nats://<token>@host`),
//! and the secret path of webhook URLs (`hooks.slack.com/services/T…/B…/<secret>`).

use super::mask::MASK;

/// Schemes whose servers (or clients) read a user info without `:` as the credential
/// itself: NATS token authentication (`nats://<token>@host`, also over `tls://` and
/// `ws(s)://`), Redis clients that read `redis://<password>@host` as the password, and HTTP
/// URLs carrying a token as the user name (`https://<token>@github.com/…`, Azure DevOps).
/// Elsewhere (`postgres://app@db`) a lone user info is a user name and kept.
const TOKEN_USERINFO_SCHEMES: [&str; 10] = [
    "nats", "tls", "ws", "wss", "redis", "rediss", "valkey", "valkeys", "http", "https",
];

/// Webhook URLs whose path is the credential: a host, the path that starts the webhook's
/// address, and how many segments after it are identifiers that may stay (Slack's
/// workspace `T…` and channel `B…`, Discord's webhook id); the rest of the path is masked.
const WEBHOOKS: [(&str, &str, usize); 6] = [
    ("hooks.slack.com", "/services/", 2),
    ("hooks.slack.com", "/workflows/", 2),
    ("hooks.slack.com", "/triggers/", 2),
    ("discord.com", "/api/webhooks/", 1),
    ("discordapp.com", "/api/webhooks/", 1),
    // Microsoft Teams (Office 365 connectors): `/webhookb2/<group>@<tenant>/IncomingWebhook/<secret>/<id>`.
    ("webhook.office.com", "/webhookb2/", 2),
];

/// Where a URL written in a message ends: whitespace, a quote, an angle bracket.
fn is_url_end(c: char) -> bool {
    c.is_ascii_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`')
}

/// Masks the credentials of every URL in `text` (see the module's documentation).
pub(super) fn mask_url_credentials(text: &str) -> String {
    let text = mask_webhook_paths(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let scheme = &rest[scheme_start..at];
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let url_len = after.find(is_url_end).unwrap_or(after.len());
        mask_userinfo(scheme, &after[..url_len], &mut out);
        rest = &after[url_len..];
    }
    out.push_str(rest);
    out
}

/// Writes `url` (what follows `scheme://`) with the credential of its user info masked.
/// The user info runs to the last `@`, so a password holding `@`, `/`, `#` or `?` is
/// masked whole; a `/`, `?` or `#` before the first `:` means the `@` is in the path
/// (`docs.rs/x@1.0`), not after a user info.
fn mask_userinfo(scheme: &str, url: &str, out: &mut String) {
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
        None if !userinfo.is_empty()
            && !userinfo.contains(['/', '?', '#'])
            && TOKEN_USERINFO_SCHEMES
                .iter()
                .any(|known| scheme.eq_ignore_ascii_case(known)) =>
        {
            out.push_str(MASK);
            out.push_str(&url[at..]);
        }
        _ => out.push_str(url),
    }
}

/// Masks the secret path segments of the webhook URLs in [`WEBHOOKS`], with or without a
/// scheme in front.
fn mask_webhook_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < text.len() {
        let next = WEBHOOKS
            .iter()
            .filter_map(|&(host, path, kept)| {
                let address = text[pos..].find(host)? + pos;
                let after_host = address + host.len();
                let at_host_start = text[..address]
                    .chars()
                    .next_back()
                    .is_none_or(|c| matches!(c, '/' | '.' | '@') || is_url_end(c) || c == '(');
                (at_host_start && text[after_host..].starts_with(path)).then_some((
                    address,
                    after_host + path.len(),
                    kept,
                ))
            })
            .min_by_key(|&(address, ..)| address);
        let Some((_, path_start, kept)) = next else {
            break;
        };
        out.push_str(&text[pos..path_start]);
        let path = &text[path_start..];
        let path_len = path
            .find(|c: char| is_url_end(c) || matches!(c, '?' | '#' | ')' | ','))
            .unwrap_or(path.len());
        let mut segments = path[..path_len].split('/');
        for segment in segments.by_ref().take(kept) {
            out.push_str(segment);
            out.push('/');
        }
        if segments.any(|segment| !segment.is_empty()) {
            out.push_str(MASK);
        } else if kept > 0 && out.ends_with('/') && !path[..path_len].ends_with('/') {
            out.pop();
        }
        pos = path_start + path_len;
    }
    out.push_str(&text[pos..]);
    out
}
