//! Messages for the naming rule of check names and tags (`health_rules::validate_name`),
//! with the name to write instead when one can be made without guessing.

use health_rules::{is_name_char, validate_name};

use crate::ctxt::Ctxt;
use crate::value::{Key, SpannedValue};

/// The `tags` argument of both macros.
pub(crate) const TAGS: Key = Key {
    name: "tags",
    example: "tags = [\"db\"]",
    accepts,
};

/// Whether `name` is a valid check name or tag.
pub(crate) fn accepts(name: &str) -> bool {
    validate_name(name).is_ok()
}

/// ``invalid tag `DB`: it contains `D` and `B`; ...; write `"db"` `` when `value` breaks
/// the rule. `what` is `check name` or `tag`.
pub(crate) fn problem(what: &str, value: &str) -> Option<String> {
    let error = validate_name(value).err()?;
    let fix = suggestion(value)
        .map(|fixed| format!("; write `{fixed:?}`"))
        .unwrap_or_default();
    Some(format!("invalid {what} `{value}`: {error}{fix}"))
}

/// The valid tags of a `tags = [...]` list, each invalid or repeated one reported; `empty`
/// is what to say about `tags = []`.
pub(crate) fn tags(
    cx: &Ctxt,
    tags: SpannedValue<Vec<SpannedValue<String>>>,
    empty: &str,
) -> Vec<String> {
    if tags.value.is_empty() {
        cx.error_spanned_by(&tags.tokens, empty);
    }
    let mut valid: Vec<String> = Vec::new();
    for tag in tags.value {
        if let Some(problem) = problem("tag", &tag.value) {
            cx.error_spanned_by(&tag.tokens, problem);
        } else if valid.contains(&tag.value) {
            cx.error_spanned_by(
                &tag.tokens,
                format!("tag `{}` is listed twice; remove one", tag.value),
            );
        } else {
            valid.push(tag.value);
        }
    }
    valid
}

/// A valid name close to `name` when one can be made without guessing: letters of other
/// scripts transliterated (`café` → `cafe`, `数据库` → `shu_ju_ku`), lowercase, `camelCase`
/// split as `camel_case`, other characters as `_`. `None` when `name` cannot be fixed that
/// way (it is empty or too long once fixed).
pub(crate) fn suggestion(name: &str) -> Option<String> {
    let ascii = deunicode::deunicode(name);
    let mut out = String::with_capacity(ascii.len() + 4);
    let mut previous: Option<char> = None;
    for c in ascii.chars() {
        let next = if c.is_ascii_uppercase() {
            if previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
                out.push('_');
            }
            c.to_ascii_lowercase()
        } else if is_name_char(c) {
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
    (out != name && accepts(out)).then(|| out.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_say_what_to_write() {
        assert_eq!(
            problem("tag", "DB").unwrap(),
            "invalid tag `DB`: it contains `D` and `B`; use lowercase letters, digits, `_`, `.` \
             and `-`; write `\"db\"`"
        );
        assert_eq!(problem("check name", "postgres"), None);
        assert_eq!(problem("tag", "").unwrap(), "invalid tag ``: it is empty");
    }

    #[test]
    fn suggestions_are_valid_names() {
        assert_eq!(suggestion("Redis Cache").as_deref(), Some("redis_cache"));
        assert_eq!(suggestion("checkRedis").as_deref(), Some("check_redis"));
        assert_eq!(suggestion("DB").as_deref(), Some("db"));
        assert_eq!(suggestion("-primary").as_deref(), Some("primary"));
        assert_eq!(suggestion("redis::cache").as_deref(), Some("redis_cache"));
        assert_eq!(suggestion("café-cache").as_deref(), Some("cafe-cache"));
        assert_eq!(suggestion("Grüße").as_deref(), Some("grusse"));
        assert_eq!(suggestion("数据库").as_deref(), Some("shu_ju_ku"));
        assert_eq!(suggestion("база_данных").as_deref(), Some("baza_dannykh"));
        assert_eq!(suggestion("postgres"), None);
        assert_eq!(suggestion("!!"), None);
        assert_eq!(suggestion(&"a".repeat(64)), None);
    }
}
