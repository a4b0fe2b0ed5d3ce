//! The arguments of `#[health_check(...)]`, read into their types; the rules on their
//! values are `validate`'s.

use proc_macro2::TokenStream;
use syn::Expr;

use crate::args::{self, ListSpec, NamedArg};
use crate::ctxt::Ctxt;
use crate::duration::{self, Millis};
use crate::once::Once;
use crate::value::{self, Key, SpannedValue};
use crate::{name, print, suggest};

pub(crate) const ARGUMENTS: &[&str] = &[
    "name",
    "timeout_ms",
    "probe",
    "critical",
    "tags",
    "failures",
    "successes",
];

const NANOS_PER_MS: i128 = 1_000_000;

/// The arguments as written, before defaults.
pub(crate) struct Args<'c> {
    pub(crate) name: Once<'c, SpannedValue<String>>,
    pub(crate) timeout_ms: Once<'c, SpannedValue<Millis>>,
    pub(crate) probes: Once<'c, SpannedValue<Vec<SpannedValue<String>>>>,
    pub(crate) critical: Once<'c, SpannedValue<bool>>,
    pub(crate) tags: Once<'c, SpannedValue<Vec<SpannedValue<String>>>>,
    pub(crate) failures: Once<'c, SpannedValue<Millis>>,
    pub(crate) successes: Once<'c, SpannedValue<Millis>>,
}

pub(crate) const SPEC: ListSpec = ListSpec {
    kind: "argument",
    owner: "#[health_check]",
    keys: ARGUMENTS,
    example,
    positional,
    bare,
};

const NAME: Key = Key {
    name: "name",
    example: "name = \"postgres\"",
    accepts: name::accepts,
};

const PROBE: Key = Key {
    name: "probe",
    example: "probe = [\"startup\", \"readiness\"]",
    accepts: is_probe,
};

pub(crate) fn example(argument: &str) -> &'static str {
    match argument {
        "name" => "name = \"postgres\"",
        "timeout_ms" => "timeout_ms = 2000",
        "probe" => "probe = \"readiness\"",
        "critical" => "critical = false",
        "failures" => "failures = 3",
        "successes" => "successes = 2",
        _ => "tags = [\"db\"]",
    }
}

/// A value without its key: a string is the name most of the time.
fn positional(value: &Expr) -> String {
    match value::literal(value) {
        Some(syn::Lit::Str(s)) if name::accepts(&s.value()) => format!(
            "the arguments of `#[health_check]` are named: write `name = {:?}`",
            s.value()
        ),
        _ => format!(
            "the arguments of `#[health_check]` are named, like `name = \"postgres\"` or \
             `timeout_ms = 2000`; {}",
            SPEC.listing()
        ),
    }
}

/// A word alone: an argument without its value, or the check's name without quotes.
fn bare(word: &str) -> String {
    let closest = suggest::closest(word, ARGUMENTS);
    match closest {
        Some(argument) => format!(
            "unknown argument `{word}`; did you mean `{argument}`, with a value like `{}`? {}",
            example(argument),
            SPEC.listing()
        ),
        None if name::accepts(word) => format!(
            "unknown argument `{word}`; to name the check `{word}`, write `name = {word:?}`; {}",
            SPEC.listing()
        ),
        None => format!("unknown argument `{word}`; {}", SPEC.listing()),
    }
}

pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Args<'_> {
    let mut args = Args {
        name: Once::new(cx, "argument"),
        timeout_ms: Once::new(cx, "argument"),
        probes: Once::new(cx, "argument"),
        critical: Once::new(cx, "argument"),
        tags: Once::new(cx, "argument"),
        failures: Once::new(cx, "argument"),
        successes: Once::new(cx, "argument"),
    };
    for arg in args::parse(cx, tokens, &SPEC) {
        let NamedArg { key, value } = &arg;
        match arg.key_name().as_str() {
            "name" => args.name.set(key, || value::string(cx, &NAME, value)),
            "timeout_ms" => args.timeout_ms.set(key, || {
                Some(SpannedValue::new(
                    duration::read(value, NANOS_PER_MS),
                    value,
                ))
            }),
            "probe" => args.probes.set(key, || {
                let probes = value::strings(cx, &PROBE, value, true);
                probes.map(|probes| SpannedValue::new(probes, value))
            }),
            "critical" => args
                .critical
                .set(key, || value::boolean(cx, "critical", value)),
            "tags" => args.tags.set(key, || {
                let tags = value::strings(cx, &name::TAGS, value, false);
                tags.map(|tags| SpannedValue::new(tags, value))
            }),
            // A count, read like a number of milliseconds (one unit per result).
            "failures" => args.failures.set(key, || {
                Some(SpannedValue::new(
                    duration::read(value, NANOS_PER_MS),
                    value,
                ))
            }),
            "successes" => args.successes.set(key, || {
                Some(SpannedValue::new(
                    duration::read(value, NANOS_PER_MS),
                    value,
                ))
            }),
            _ => unknown(cx, &arg),
        }
    }
    args
}

pub(crate) fn is_probe(probe: &str) -> bool {
    health_rules::PROBES.contains(&probe)
}

/// An unknown argument, with the accepted argument it most likely meant: a timeout named
/// in another unit is given in milliseconds (`timeout_secs = 2` is `timeout_ms = 2000`),
/// never as the same number.
fn unknown(cx: &Ctxt, arg: &NamedArg) {
    let key = arg.key_name();
    let meant = if looks_like_timeout(&key) {
        Some(timeout_fix(&key, &arg.value))
    } else {
        suggest::closest(&key, ARGUMENTS).map(|meant| match fixed_argument(meant, &arg.value) {
            Some(fixed) => format!("did you mean `{fixed}`? "),
            None => format!("did you mean `{meant}`? "),
        })
    };
    cx.error_spanned_by(
        &arg.key,
        format!(
            "unknown argument `{key}`; {}{}",
            meant.unwrap_or_default(),
            SPEC.listing()
        ),
    );
}

fn looks_like_timeout(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('_', "");
    ["timeout", "timout", "timeot", "tmeout"]
        .iter()
        .any(|start| key.starts_with(start))
}

/// What a timeout argument in some unit means as `timeout_ms = N`; only a value that
/// `timeout_ms` accepts is suggested.
fn timeout_fix(key: &str, value: &Expr) -> String {
    const IS: &str = "the timeout is `timeout_ms`, in milliseconds";
    let unit = key.rsplit('_').next().and_then(duration::unit_nanos);
    let read = duration::read(value, unit.unwrap_or(NANOS_PER_MS));
    match (unit, read) {
        // A misspelt `timeout_ms`, in the same unit.
        (Some(NANOS_PER_MS), Millis::Plain(ms)) if valid_timeout(ms) => {
            format!("did you mean `timeout_ms = {ms}`? ")
        }
        // No unit in the name: the number could be either; say each that fits.
        (None, Millis::Plain(n)) => {
            let as_ms = valid_timeout(n).then(|| format!("`timeout_ms = {n}` for {n} ms"));
            let as_s = n
                .checked_mul(1000)
                .filter(|ms| valid_timeout(*ms))
                .map(|ms| format!("`timeout_ms = {ms}` for {n} s"));
            match (as_ms, as_s) {
                (Some(ms), Some(s)) => format!("{IS}: write {ms} or {s}; "),
                (Some(one), None) | (None, Some(one)) => format!("{IS}: write {one}; "),
                (None, None) => format!("{IS}, 1 ..= {}; ", health_rules::MAX_TIMEOUT_MS),
            }
        }
        (_, Millis::Plain(ms) | Millis::Spelled(ms)) if valid_timeout(ms) => {
            format!("{IS}: write `timeout_ms = {ms}`; ")
        }
        (_, Millis::Plain(ms) | Millis::Spelled(ms)) => format!(
            "{IS}, and `{}` is {ms} ms, outside 1 ..= {}; ",
            print::rust(value),
            health_rules::MAX_TIMEOUT_MS
        ),
        _ => format!("{IS}, 1 ..= {}; ", health_rules::MAX_TIMEOUT_MS),
    }
}

pub(crate) fn valid_timeout(ms: u128) -> bool {
    health_rules::validate_timeout_ms(ms).is_ok()
}

/// `meant = value` if that argument would be accepted as it is (or with a single string
/// made a list, for `tags`), so that a did-you-mean never suggests something rejected.
fn fixed_argument(meant: &str, value: &Expr) -> Option<String> {
    let written = print::rust(value);
    let string = match value::literal(value) {
        Some(syn::Lit::Str(s)) => Some(s.value()),
        _ => None,
    };
    let list = string_list(value);
    let all = |accepts: fn(&str) -> bool| {
        list.as_ref()
            .is_some_and(|l| !l.is_empty() && l.iter().all(|s| accepts(s)))
    };
    let accepted = match meant {
        "name" => string.filter(|s| name::accepts(s)).map(|_| written),
        "probe" if all(is_probe) => Some(written),
        "probe" => string.filter(|s| is_probe(s)).map(|_| written),
        "tags" if all(name::accepts) => Some(written),
        "tags" => match string {
            Some(tag) if name::accepts(&tag) => Some(value::list(&[tag])),
            _ => None,
        },
        "critical" => matches!(value::literal(value), Some(syn::Lit::Bool(_))).then_some(written),
        _ => None,
    }?;
    Some(format!("{meant} = {accepted}"))
}

/// The strings of a list of string literals.
fn string_list(value: &Expr) -> Option<Vec<String>> {
    let Expr::Array(array) = value else {
        return None;
    };
    array
        .elems
        .iter()
        .map(|elem| match value::literal(elem) {
            Some(syn::Lit::Str(s)) => Some(s.value()),
            _ => None,
        })
        .collect()
}
