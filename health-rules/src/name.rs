//! Check names and tags: 1–63 characters of `[a-z0-9_.-]`, starting with a letter or digit.
//! A name is a key of the JSON report and a segment of `/health/ready/{name}`, so it must
//! be safe in both without escaping.

use std::fmt;

/// The longest check name or tag, in characters: a DNS label's limit, so a name fits
/// wherever an orchestrator puts one.
pub const MAX_NAME_LEN: usize = 63;

/// Whether `c` may appear in a check name or tag.
///
/// ```
/// assert!(health_rules::is_name_char('-'));
/// assert!(!health_rules::is_name_char('R'));
/// ```
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
}

/// Why a string cannot be a check name or tag. Its `Display` says what is wrong, in words
/// that fit after "invalid check name `x`: ".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name has characters outside `[a-z0-9_.-]`; each one is listed once, in order.
    Characters {
        /// The characters that are not allowed.
        found: Vec<char>,
    },
    /// The name starts with `_`, `.` or `-`.
    Start,
    /// The name is longer than [`MAX_NAME_LEN`].
    TooLong {
        /// Its length in characters.
        len: usize,
    },
}

/// Checks the naming rule; the first rule broken is reported, in the order of
/// [`NameError`]'s variants.
///
/// ```
/// use health_rules::{NameError, validate_name};
///
/// assert_eq!(validate_name(""), Err(NameError::Empty));
/// assert_eq!(validate_name("-primary"), Err(NameError::Start));
/// assert_eq!(
///     validate_name("Redis Cache"),
///     Err(NameError::Characters { found: vec!['R', ' ', 'C'] })
/// );
/// ```
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let mut found: Vec<char> = Vec::new();
    for c in name.chars().filter(|c| !is_name_char(*c)) {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    let len = name.chars().count();
    if name.is_empty() {
        Err(NameError::Empty)
    } else if !found.is_empty() {
        Err(NameError::Characters { found })
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Err(NameError::Start)
    } else if len > MAX_NAME_LEN {
        Err(NameError::TooLong { len })
    } else {
        Ok(())
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("it is empty"),
            NameError::Characters { found } => {
                let shown: Vec<String> = found.iter().map(|c| show_char(*c)).collect();
                write!(
                    f,
                    "it contains {}; use lowercase letters, digits, `_`, `.` and `-`",
                    join_and(&shown)
                )
            }
            NameError::Start => f.write_str("it must start with a lowercase letter or a digit"),
            NameError::TooLong { len } => write!(
                f,
                "it is {len} characters long; the limit is {MAX_NAME_LEN}"
            ),
        }
    }
}

impl std::error::Error for NameError {}

fn show_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '`' => "a backtick".to_owned(),
        c if c.is_whitespace() || c.is_control() => format!("`{}`", c.escape_default()),
        c => format!("`{c}`"),
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for name in ["postgres", "0.redis-cache_v2", &"a".repeat(MAX_NAME_LEN)] {
            assert_eq!(validate_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn messages_name_what_is_wrong() {
        let message = |name: &str| validate_name(name).unwrap_err().to_string();
        assert_eq!(
            message("Redis Cache"),
            "it contains `R`, a space and `C`; use lowercase letters, digits, `_`, `.` and `-`"
        );
        assert_eq!(
            message("tab\there"),
            "it contains `\\t`; use lowercase letters, digits, `_`, `.` and `-`"
        );
        assert_eq!(message(""), "it is empty");
        assert_eq!(
            message("_private"),
            "it must start with a lowercase letter or a digit"
        );
        assert_eq!(
            message(&"a".repeat(64)),
            "it is 64 characters long; the limit is 63"
        );
    }

    #[test]
    fn length_counts_characters_after_the_charset() {
        // A long name with a bad character reports the character: fixing it is the first step.
        assert!(matches!(
            validate_name(&"é".repeat(40)),
            Err(NameError::Characters { .. })
        ));
    }
}
