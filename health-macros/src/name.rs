//! The rule for check names and tags: 1–63 characters of `[a-z0-9_.-]`, starting with a
//! letter or digit. Mirrors `health_runtime::validate_name`, with messages that say which
//! characters are wrong and what to write instead.

pub(crate) const MAX_LEN: usize = 63;

fn allowed(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)
}

/// Why `name` breaks the rule, if it does.
pub(crate) fn problem(name: &str) -> Option<String> {
    let mut bad: Vec<char> = Vec::new();
    for c in name.chars().filter(|c| !allowed(*c)) {
        if !bad.contains(&c) {
            bad.push(c);
        }
    }
    if name.is_empty() {
        Some("it is empty".to_owned())
    } else if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().map(|c| show_char(*c)).collect();
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        Some(format!(
            "it contains {}; use lowercase letters, digits, `_`, `.` and `-`",
            join_and(&shown)
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("it must start with a lowercase letter or a digit".to_owned())
    } else if name.len() > MAX_LEN {
        Some(format!(
            "it is {} characters long; the limit is {MAX_LEN}",
            name.len()
        ))
    } else {
        None
    }
}

/// A valid name close to `name` when one can be made without guessing: lowercase,
/// `camelCase` split as `camel_case`, other characters as `_`. `None` when `name` cannot
/// be fixed that way (it is empty or too long once fixed).
pub(crate) fn suggestion(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len() + 4);
    let mut previous: Option<char> = None;
    for c in name.chars() {
        let next = if c.is_ascii_uppercase() {
            if previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
                out.push('_');
            }
            c.to_ascii_lowercase()
        } else if allowed(c) {
            c
        } else {
            '_'
        };
        if !(next == '_' && out.ends_with('_')) {
            out.push(next);
        }
        previous = Some(c);
    }
    let out = out
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .trim_end_matches('_');
    (out != name && problem(out).is_none()).then(|| out.to_owned())
}

/// `; write `x`` when a fix can be suggested, else nothing.
pub(crate) fn write_instead(name: &str) -> String {
    suggestion(name)
        .map(|fixed| format!("; write `{fixed}`"))
        .unwrap_or_default()
}

fn show_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '`' => "a backtick".to_owned(),
        c if c.is_whitespace() || c.is_control() => format!("`{}`", c.escape_default()),
        c => format!("`{c}`"),
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A unique identifier fragment for a name, used to make two checks of the same name in
/// one module collide at compile time: `_` → `__`, `.` → `_p`, `-` → `_d`.
pub(crate) fn ident_fragment(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '_' => out.push_str("__"),
            '.' => out.push_str("_p"),
            '-' => out.push_str("_d"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_have_no_problem() {
        for name in ["postgres", "0.redis-cache_v2", &"a".repeat(MAX_LEN)] {
            assert_eq!(problem(name), None, "{name}");
        }
    }

    #[test]
    fn problems_name_the_wrong_characters() {
        assert_eq!(
            problem("Redis Cache").unwrap(),
            "it contains `R`, a space and `C`; use lowercase letters, digits, `_`, `.` and `-`"
        );
        assert_eq!(problem("").unwrap(), "it is empty");
        assert_eq!(
            problem("-primary").unwrap(),
            "it must start with a lowercase letter or a digit"
        );
        assert_eq!(
            problem(&"a".repeat(64)).unwrap(),
            "it is 64 characters long; the limit is 63"
        );
    }

    #[test]
    fn suggestions_are_valid_names() {
        assert_eq!(suggestion("Redis Cache").as_deref(), Some("redis_cache"));
        assert_eq!(suggestion("checkRedis").as_deref(), Some("check_redis"));
        assert_eq!(suggestion("DB").as_deref(), Some("db"));
        assert_eq!(suggestion("-primary").as_deref(), Some("primary"));
        assert_eq!(suggestion("redis::cache").as_deref(), Some("redis_cache"));
        assert_eq!(suggestion("postgres"), None);
        assert_eq!(suggestion("!!"), None);
        assert_eq!(suggestion(&"a".repeat(64)), None);
    }
}
