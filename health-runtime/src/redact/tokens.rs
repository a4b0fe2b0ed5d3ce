//! Bare credentials recognised by their shape: JWTs (`eyJ….eyJ….…`), the published
//! prefixes of token families (OpenAI `sk-`, GitHub `ghp_`, GitLab `glpat-`, Slack `xoxb-`,
//! Stripe `sk_live_`, Google `AIza`, …), and the 40-character AWS secret key next to an AWS
//! access key id.

use super::mask::MASK;

/// A token family: the prefix it publishes so that scanners can find its tokens, the
/// shortest body after it that makes a token, and whether the body has dot-separated parts
/// (GitLab's routable tokens `glpat-….01.…`, SendGrid's `SG.….…`, Vault's `hvs.…`). The
/// prefix is kept in front of the mask, so the message still says which credential it was.
struct Family {
    prefix: &'static str,
    min_body: usize,
    dotted: bool,
}

impl Family {
    const fn new(prefix: &'static str, min_body: usize) -> Family {
        Family {
            prefix,
            min_body,
            dotted: false,
        }
    }

    const fn dotted(self) -> Family {
        Family {
            dotted: true,
            ..self
        }
    }

    /// The length of the body `text` starts with, over token characters and, for a
    /// dotted family, the dots between runs of them (one at the end closes a sentence).
    fn body_len(&self, text: &str) -> usize {
        let mut len = 0;
        loop {
            len += text[len..]
                .find(|c| !is_token_char(c))
                .unwrap_or(text.len() - len);
            let joins = self.dotted
                && text[len..].starts_with('.')
                && text[len + 1..].starts_with(is_token_char);
            if !joins {
                return len;
            }
            len += 1;
        }
    }
}

/// The published token families.
///
/// Sources: OpenAI and Anthropic API keys (`sk-`, `sk-proj-`, `sk-ant-`); GitHub's
/// "Behind GitHub's new authentication token formats"; GitLab's "Token prefixes" table;
/// Slack's token types; Stripe's API keys and webhook secrets; Google API keys; Hugging
/// Face, npm, PyPI, DigitalOcean, Shopify, Atlassian, Postman, New Relic, Linear, Grafana,
/// HashiCorp Vault, Doppler, Sentry, SendGrid, Databricks and age secret keys.
const FAMILIES: [Family; 57] = [
    // OpenAI (`sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`), Anthropic (`sk-ant-`).
    Family::new("sk-", 16),
    // GitHub.
    Family::new("ghp_", 20),
    Family::new("gho_", 20),
    Family::new("ghu_", 20),
    Family::new("ghs_", 20),
    Family::new("ghr_", 20),
    Family::new("github_pat_", 20),
    // GitLab.
    Family::new("glpat-", 16).dotted(),
    Family::new("gloas-", 16).dotted(),
    Family::new("gldt-", 16).dotted(),
    Family::new("glrt-", 16).dotted(),
    Family::new("glrtr-", 16).dotted(),
    Family::new("glcbt-", 16).dotted(),
    Family::new("glptt-", 16).dotted(),
    Family::new("glft-", 16).dotted(),
    Family::new("glimt-", 16).dotted(),
    Family::new("glagent-", 16).dotted(),
    Family::new("glsoat-", 16).dotted(),
    Family::new("glffct-", 16).dotted(),
    Family::new("GR1348941", 16),
    // Slack.
    Family::new("xoxa-", 10),
    Family::new("xoxb-", 10),
    Family::new("xoxe-", 10),
    Family::new("xoxe.xoxp-", 10),
    Family::new("xoxp-", 10),
    Family::new("xoxr-", 10),
    Family::new("xoxs-", 10),
    Family::new("xapp-", 10),
    // Stripe.
    Family::new("sk_live_", 10),
    Family::new("rk_live_", 10),
    Family::new("sk_test_", 10),
    Family::new("rk_test_", 10),
    Family::new("whsec_", 16),
    // Google.
    Family::new("AIza", 30),
    // Package registries and clouds.
    Family::new("hf_", 30),
    Family::new("npm_", 30),
    Family::new("pypi-", 30),
    Family::new("dop_v1_", 30),
    Family::new("doo_v1_", 30),
    Family::new("dor_v1_", 30),
    Family::new("shpat_", 20),
    Family::new("shpss_", 20),
    Family::new("shpca_", 20),
    Family::new("shppa_", 20),
    Family::new("ATATT", 30),
    Family::new("PMAK-", 20),
    Family::new("NRAK-", 20),
    Family::new("lin_api_", 20),
    Family::new("glsa_", 20).dotted(),
    Family::new("glc_", 20).dotted(),
    Family::new("hvs.", 20).dotted(),
    Family::new("hvb.", 20).dotted(),
    Family::new("dp.pt.", 20).dotted(),
    Family::new("sntrys_", 20),
    Family::new("SG.", 20).dotted(),
    Family::new("dapi", 32),
    Family::new("AGE-SECRET-KEY-1", 50),
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
        if let Some((prefix, len)) = prefixed_token(rest) {
            out.push_str(prefix);
            out.push_str(MASK);
            pos += len;
            continue;
        }
        let len = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let word = &rest[..len];
        if is_aws_key_id(word) {
            aws = true;
            out.push_str(&word[..4]);
            out.push_str(MASK);
        } else {
            out.push_str(word);
        }
        pos += len;
    }
    if aws { mask_aws_secrets(&out) } else { out }
}

/// The token `text` starts with: a family's prefix and a body that looks random (a digit,
/// or upper- and lower-case letters: prose such as `sk-learn` is neither). Returns the
/// prefix and the token's length.
fn prefixed_token(text: &str) -> Option<(&'static str, usize)> {
    let looks_random = |body: &str| {
        body.bytes().any(|b| b.is_ascii_digit())
            || body.bytes().any(|b| b.is_ascii_uppercase())
                && body.bytes().any(|b| b.is_ascii_lowercase())
    };
    FAMILIES.iter().find_map(|family| {
        let body = text.strip_prefix(family.prefix)?;
        let len = family.body_len(body);
        (len >= family.min_body && looks_random(&body[..len]))
            .then_some((family.prefix, family.prefix.len() + len))
    })
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
