//! The rule for check names and tags: 1–63 characters of `[a-z0-9_.-]`, starting with a
//! letter or digit. Mirrors `health_runtime::validate_name`, with messages that point at
//! the offending character.

pub(crate) const MAX_LEN: usize = 63;

/// Why `name` breaks the rule, if it does.
pub(crate) fn problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
    if name.is_empty() {
        Some("it must not be empty".to_owned())
    } else if name.len() > MAX_LEN {
        Some(format!("it is {} characters long; the limit is {MAX_LEN}", name.len()))
    } else if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        let hint = if bad.is_ascii_uppercase() {
            format!("; write `{}`", name.to_ascii_lowercase())
        } else {
            String::new()
        };
        Some(format!(
            "`{bad}` is not allowed: use lowercase letters, digits, `_`, `.` and `-`{hint}"
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("it must start with a lowercase letter or a digit".to_owned())
    } else {
        None
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
