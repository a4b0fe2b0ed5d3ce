//! The rules on the arguments' values (shared with the runtime through `health_rules`),
//! and the defaults of the arguments left out.

use health_rules::{
    DEFAULT_CRITICAL, DEFAULT_PROBE, DEFAULT_THRESHOLD, DEFAULT_TIMEOUT_MS, PROBES, TimeoutError,
};
use proc_macro2::Span;

use super::parse::{Args, valid_timeout};
use crate::ctxt::Ctxt;
use crate::duration::Millis;
use crate::value::SpannedValue;
use crate::{name, print, suggest};

/// The validated configuration of one check.
pub(crate) struct Config {
    pub(crate) name: String,
    /// Where the name came from: the `name = "..."` literal, or the function's name.
    pub(crate) name_span: Span,
    pub(crate) timeout_ms: u64,
    pub(crate) probes: Vec<&'static str>,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<String>,
    pub(crate) failures: u32,
    pub(crate) successes: u32,
}

pub(crate) fn validate(cx: &Ctxt, args: Args<'_>, function: &syn::Ident) -> Config {
    let (name, name_span) = check_name(cx, args.name.get(), function);
    Config {
        name,
        name_span,
        timeout_ms: args
            .timeout_ms
            .get()
            .map_or(DEFAULT_TIMEOUT_MS, |t| timeout(cx, &t)),
        probes: args
            .probes
            .get()
            .map_or_else(|| vec![default_probe()], |p| probes(cx, p)),
        critical: args.critical.get().map_or(DEFAULT_CRITICAL, |c| c.value),
        tags: args
            .tags
            .get()
            .map(|t| name::tags(cx, t, EMPTY_TAGS))
            .unwrap_or_default(),
        failures: args
            .failures
            .get()
            .map_or(DEFAULT_THRESHOLD, |n| threshold(cx, "failures", &n)),
        successes: args
            .successes
            .get()
            .map_or(DEFAULT_THRESHOLD, |n| threshold(cx, "successes", &n)),
    }
}

const EMPTY_TAGS: &str =
    "`tags = []` lists no tag: list one or more, like `tags = [\"db\"]`, or leave `tags` out";

fn default_probe() -> &'static str {
    PROBES
        .iter()
        .find(|p| **p == DEFAULT_PROBE)
        .copied()
        .unwrap_or(DEFAULT_PROBE)
}

fn check_name(
    cx: &Ctxt,
    given: Option<SpannedValue<String>>,
    function: &syn::Ident,
) -> (String, Span) {
    if let Some(name) = given {
        if let Some(problem) = name::problem("check name", &name.value) {
            cx.error_spanned_by(&name.tokens, problem);
        }
        let span = name
            .tokens
            .clone()
            .into_iter()
            .next()
            .map_or_else(Span::call_site, |t| t.span());
        return (name.value, span);
    }
    let default = function.to_string().trim_start_matches("r#").to_owned();
    if let Err(problem) = health_rules::validate_name(&default) {
        let fix = match name::suggestion(&default) {
            Some(fixed) => format!("`#[health_check(name = {fixed:?})]`"),
            None => "`#[health_check(name = \"...\")]`".to_owned(),
        };
        cx.error_spanned_by(
            function,
            format!(
                "the check name defaults to the function name `{default}`, which is not a \
                 valid check name: {problem}; name the check with {fix}"
            ),
        );
    }
    (default, function.span())
}

fn timeout(cx: &Ctxt, timeout: &SpannedValue<Millis>) -> u64 {
    let written = print::rust(&timeout.tokens);
    let rule = TimeoutError::TooShort;
    let as_seconds = float_seconds(&timeout.tokens);
    let message = match timeout.value {
        Millis::Plain(ms) if valid_timeout(ms) => return ms as u64,
        // `1.5` is seconds written where milliseconds go.
        Millis::Fraction if let Some(ms) = as_seconds => format!(
            "`timeout_ms` is a whole number of milliseconds, and `{written}` reads as seconds: \
             for {written} s, write `timeout_ms = {ms}`"
        ),
        Millis::Spelled(ms)
            if valid_timeout(ms)
                && let Some(seconds_ms) = as_seconds =>
        {
            format!(
                "`timeout_ms` is a whole number of milliseconds: write `timeout_ms = {ms}` for \
             {ms} ms, or `timeout_ms = {seconds_ms}` for {written} s"
            )
        }
        Millis::Plain(0) => format!("`timeout_ms` must be at least 1: {rule}"),
        Millis::Plain(_) => format!("`timeout_ms = {written}` is too long: {rule}"),
        Millis::Spelled(ms) if valid_timeout(ms) => {
            format!("`timeout_ms` is a plain number of milliseconds: write `timeout_ms = {ms}`")
        }
        Millis::Spelled(ms) => format!("`{written}` is {ms} ms: {rule}"),
        Millis::Fraction => format!("`{written}` is not a whole number of milliseconds: {rule}"),
        Millis::Negative => format!("`{written}` is negative: {rule}"),
        Millis::Overflow => format!("`{written}` is far too long: {rule}"),
        Millis::Named => format!(
            "`{written}` is a name, and `#[health_check]` reads its arguments before constants \
             exist: write the number of milliseconds, like `timeout_ms = 2000`; {rule}"
        ),
        Millis::NotANumber => {
            format!("`timeout_ms` is a number of milliseconds, like `timeout_ms = 2000`: {rule}")
        }
    };
    cx.error_spanned_by(&timeout.tokens, message);
    DEFAULT_TIMEOUT_MS
}

/// The valid timeout in milliseconds that an unsuffixed float literal means when read as
/// seconds (`1.5` → 1500).
fn float_seconds(tokens: &proc_macro2::TokenStream) -> Option<u128> {
    let expr: syn::Expr = syn::parse2(tokens.clone()).ok()?;
    match crate::value::literal(&expr) {
        Some(syn::Lit::Float(float)) if float.suffix().is_empty() => {}
        _ => return None,
    }
    match crate::duration::read(&expr, 1_000_000_000) {
        Millis::Spelled(ms) if valid_timeout(ms) => Some(ms),
        _ => None,
    }
}

/// A failure or success threshold: a plain count, 1 ..= 100.
fn threshold(cx: &Ctxt, key: &str, n: &SpannedValue<Millis>) -> u32 {
    let written = print::rust(&n.tokens);
    let rule = health_rules::ThresholdError::Zero;
    let message = match n.value {
        Millis::Plain(count) if health_rules::validate_threshold(count).is_ok() => {
            return count as u32;
        }
        Millis::Plain(0) => format!("`{key} = 0` never counts a result: {rule}"),
        Millis::Plain(_) => format!("`{key} = {written}` is too many: {rule}"),
        Millis::Named => format!(
            "`{written}` is a name, and `#[health_check]` reads its arguments before constants \
             exist: write the count, like `{key} = 3`; {rule}"
        ),
        _ => format!("`{key}` is a count of consecutive runs, like `{key} = 3`: {rule}"),
    };
    cx.error_spanned_by(&n.tokens, message);
    1
}

fn probes(cx: &Ctxt, probes: SpannedValue<Vec<SpannedValue<String>>>) -> Vec<&'static str> {
    if probes.value.is_empty() {
        cx.error_spanned_by(
            &probes.tokens,
            format!(
                "`probe` lists no probe: list one or more of {}, or leave `probe` out for \
                 `{DEFAULT_PROBE}`",
                suggest::list(&PROBES)
            ),
        );
        return vec![default_probe()];
    }
    let mut resolved = Vec::new();
    for probe in probes.value {
        match PROBES.iter().find(|known| **known == probe.value) {
            Some(known) if resolved.contains(known) => {
                cx.error_spanned_by(
                    &probe.tokens,
                    format!("probe `{known}` is listed twice; remove one"),
                );
            }
            Some(known) => resolved.push(*known),
            None => cx.error_spanned_by(
                &probe.tokens,
                format!(
                    "no such probe `{}`; {}the probes are {}",
                    probe.value,
                    suggest::did_you_mean(&probe.value, &PROBES),
                    suggest::list(&PROBES)
                ),
            ),
        }
    }
    resolved
}
