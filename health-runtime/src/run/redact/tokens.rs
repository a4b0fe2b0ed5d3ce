//! Bare credentials recognised by their shape: JWTs (`eyJ….eyJ….…`), the prefixes of
//! well-known providers' tokens (`sk-`, `ghp_`, `xoxb-`, `AKIA`, `sk_live_`, `AIza`, …),
//! and the 40-character AWS secret key next to an AWS access key id.

use crate::check::MASK;

/// A provider's token prefix and the shortest body after it that makes a token: a shorter
/// or digit-free word (`sk-learn`) is prose. The prefix is kept in front of the mask, so
/// the message still says which credential it was.
const PREFIXES: [(&str, usize); 24] = [
    ("sk-", 16),
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("glpat-", 16),
    ("xoxa-", 10),
    ("xoxb-", 10),
    ("xoxp-", 10),
    ("xoxr-", 10),
    ("xoxs-", 10),
    ("xapp-", 10),
    ("sk_live_", 10),
    ("rk_live_", 10),
    ("sk_test_", 10),
    ("rk_test_", 10),
    ("whsec_", 16),
    ("AIza", 30),
    ("hf_", 30),
    ("npm_", 30),
    ("pypi-", 30),
    ("dop_v1_", 30),
];

/// AWS access key id prefixes (long-term and temporary); 16 more upper-case letters or
/// digits follow.
const AWS_KEY_IDS: [&str; 2] = ["AKIA", "ASIA"];

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Masks JWTs, provider tokens and AWS keys.
pub(super) fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut aws = false;
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest.chars().next().expect("pos is inside text");
        if !is_token_char(c) {
            out.push(c);
            pos += c.len_utf8();
            continue;
        }
        let jwt = jwt_len(rest);
        if jwt > 0 {
            out.push_str(MASK);
            pos += jwt;
            continue;
        }
        let len = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let word = &rest[..len];
        if is_aws_key_id(word) {
            aws = true;
            out.push_str(&word[..4]);
            out.push_str(MASK);
        } else {
            write_word(word, &mut out);
        }
        pos += len;
    }
    if aws { mask_aws_secrets(&out) } else { out }
}

fn write_word(word: &str, out: &mut String) {
    let prefix = PREFIXES.iter().find(|(prefix, min_body)| {
        word.strip_prefix(prefix)
            .is_some_and(|body| body.len() >= *min_body && body.bytes().any(|b| b.is_ascii_digit()))
    });
    match prefix {
        Some((prefix, _)) => {
            out.push_str(prefix);
            out.push_str(MASK);
        }
        None => out.push_str(word),
    }
}

/// The length of the JWT `text` starts with, or 0: a header and a payload that are both
/// base64url JSON objects (`eyJ`), and a signature, possibly empty.
fn jwt_len(text: &str) -> usize {
    let segment = |s: &str| s.find(|c| !is_token_char(c)).unwrap_or(s.len());
    let header = segment(text);
    if !text.starts_with("eyJ") || header < 10 || !text[header..].starts_with('.') {
        return 0;
    }
    let payload_start = header + 1;
    let payload = segment(&text[payload_start..]);
    let payload_end = payload_start + payload;
    if payload < 10 || !text[payload_start..].starts_with("eyJ") {
        return 0;
    }
    if text[payload_end..].starts_with('.') {
        payload_end + 1 + segment(&text[payload_end + 1..])
    } else {
        payload_end
    }
}

fn is_aws_key_id(word: &str) -> bool {
    word.len() == 20
        && AWS_KEY_IDS.iter().any(|prefix| word.starts_with(prefix))
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Next to an AWS access key id, a word of exactly 40 base64 characters mixing cases is
/// its secret access key.
fn mask_aws_secrets(text: &str) -> String {
    let is_secret_char = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+';
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest.chars().next().expect("pos is inside text");
        if !is_secret_char(c) {
            out.push(c);
            pos += c.len_utf8();
            continue;
        }
        let len = rest.find(|c| !is_secret_char(c)).unwrap_or(rest.len());
        let word = &rest[..len];
        let mixed = word.bytes().any(|b| b.is_ascii_lowercase())
            && word.bytes().any(|b| b.is_ascii_uppercase());
        out.push_str(if len == 40 && mixed { MASK } else { word });
        pos += len;
    }
    out
}
