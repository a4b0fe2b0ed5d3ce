//! Credentials on command lines and in echoed commands: `curl -u user:pw`,
//! `--user=user:pw`, `--password pw`, `--token pw`, and Redis `AUTH <pw>` /
//! `AUTH <user> <pw>`.

use super::mask::MASK;
use super::pairs::is_secret_key;

/// Options whose argument is `user:password` (curl, wget, httpie).
const USER_OPTIONS: [&str; 4] = ["-u", "--user", "-U", "--proxy-user"];

/// Words after `AUTH` that are prose (`AUTH failed`, `ERR AUTH <password> called without
/// any password configured`), not an argument.
const AUTH_PROSE: [&str; 16] = [
    "called", "failed", "failed:", "command", "error", "is", "was", "with", "without", "for",
    "not", "to", "required", "the", "and", "ok",
];

/// One argument after an option or a command word: where it starts and ends in the text
/// after the word, and whether it is quoted.
struct Argument {
    start: usize,
    end: usize,
    quote: Option<char>,
}

impl Argument {
    /// The argument after at least one space or tab, on the same line: quoted to its
    /// closing quote, else to the next whitespace.
    fn after(text: &str) -> Option<Argument> {
        let start = text.len() - text.trim_start_matches([' ', '\t']).len();
        Self::at(text, start).filter(|_| start > 0)
    }

    fn at(text: &str, start: usize) -> Option<Argument> {
        let rest = &text[start..];
        let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''));
        let len = match quote {
            Some(q) => rest[1..].find(q).map_or(rest.len(), |close| close + 2),
            None => rest
                .find(|c: char| c.is_ascii_whitespace())
                .unwrap_or(rest.len()),
        };
        (len > 0).then_some(Argument {
            start,
            end: start + len,
            quote,
        })
    }

    fn inner<'a>(&self, text: &'a str) -> &'a str {
        let raw = &text[self.start..self.end];
        match self.quote {
            Some(q) => {
                let raw = raw.strip_prefix(q).unwrap_or(raw);
                raw.strip_suffix(q).unwrap_or(raw)
            }
            None => raw,
        }
    }

    /// Writes the argument masked, keeping its quotes.
    fn write_masked(&self, out: &mut String) {
        if let Some(q) = self.quote {
            out.push(q);
            out.push_str(MASK);
            out.push(q);
        } else {
            out.push_str(MASK);
        }
    }
}

/// Masks the credentials of command lines, word by word.
pub(super) fn mask_commands(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let c = rest.chars().next().expect("pos is inside text");
        if c.is_whitespace() {
            out.push(c);
            pos += c.len_utf8();
            continue;
        }
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..word_len];
        write_word(word, &mut out);
        pos += word_len;
        pos += mask_argument_of(word, &text[pos..], &mut out);
    }
    out
}

/// Writes one word, masking an attached credential: `--user=u:pw`, `-uu:pw`.
fn write_word(word: &str, out: &mut String) {
    let attached = ["--user=", "--proxy-user="]
        .iter()
        .find_map(|option| word.strip_prefix(option).map(|value| (option.len(), value)))
        .or_else(|| {
            let value = word.strip_prefix("-u").filter(|value| value.contains(':'));
            value.map(|value| (2, value))
        });
    match attached {
        Some((option_len, value)) => {
            out.push_str(&word[..option_len]);
            write_user_password(value, out);
        }
        None => out.push_str(word),
    }
}

/// `user:password` → `user:***`; a bare user name is kept.
fn write_user_password(value: &str, out: &mut String) {
    match value.find(':') {
        Some(colon) => {
            out.push_str(&value[..=colon]);
            out.push_str(MASK);
        }
        None => out.push_str(value),
    }
}

/// After `word`: masks its argument when `word` is an option or command that takes a
/// credential; returns the bytes consumed.
fn mask_argument_of(word: &str, after: &str, out: &mut String) -> usize {
    let is_option = word.starts_with('-') && !word.contains('=');
    if USER_OPTIONS.contains(&word) {
        mask_user_argument(after, out)
    } else if is_option && is_secret_key(word) {
        match Argument::after(after).filter(|arg| !after[arg.start..].starts_with('-')) {
            Some(arg) => {
                out.push_str(&after[..arg.start]);
                arg.write_masked(out);
                arg.end
            }
            None => 0,
        }
    } else if matches!(word.trim_matches(['"', '\'']), "AUTH" | "auth") {
        mask_redis_auth(after, out)
    } else {
        0
    }
}

/// The `user:password` argument of `-u`: the password masked, the quotes kept.
fn mask_user_argument(after: &str, out: &mut String) -> usize {
    let Some(arg) = Argument::after(after) else {
        return 0;
    };
    out.push_str(&after[..arg.start]);
    let raw = &after[arg.start..arg.end];
    match arg.quote {
        Some(q) => {
            out.push(q);
            write_user_password(arg.inner(after), out);
            if raw.len() > 1 && raw.ends_with(q) {
                out.push(q);
            }
        }
        None => write_user_password(raw, out),
    }
    arg.end
}

fn is_auth_prose(text: &str, arg: &Argument) -> bool {
    let word = arg.inner(text).to_ascii_lowercase();
    AUTH_PROSE.contains(&word.as_str())
}

/// `AUTH <password>`, `AUTH default <password>`, `AUTH <user> <password>`: the password
/// and any user other than `default` are masked.
fn mask_redis_auth(after: &str, out: &mut String) -> usize {
    let Some(first) = Argument::after(after).filter(|arg| !is_auth_prose(after, arg)) else {
        return 0;
    };
    let second = Argument::after(&after[first.end..])
        .map(|arg| Argument {
            start: first.end + arg.start,
            end: first.end + arg.end,
            quote: arg.quote,
        })
        .filter(|arg| !is_auth_prose(after, arg));
    out.push_str(&after[..first.start]);
    let Some(second) = second else {
        first.write_masked(out);
        return first.end;
    };
    if first.inner(after).eq_ignore_ascii_case("default") {
        out.push_str(&after[first.start..first.end]);
    } else {
        first.write_masked(out);
    }
    out.push_str(&after[first.end..second.start]);
    second.write_masked(out);
    second.end
}
