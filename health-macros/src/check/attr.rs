//! The arguments of `#[health_check(...)]`, each kept with its span.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::{Expr, Lit, Token};

use crate::ctxt::Ctxt;
use crate::lit::{self, Sp};
use crate::{name, suggest};

const ARGUMENTS: &[&str] = &["name", "timeout_ms", "probe", "critical", "tags"];
const PROBES: &[&str] = &["liveness", "readiness", "startup"];
const DEFAULT_TIMEOUT_MS: u64 = 1000;
const MAX_TIMEOUT_MS: u64 = 240_000;

/// The arguments as written, before defaults.
#[derive(Default)]
pub(crate) struct Args {
    name: Option<Sp<String>>,
    timeout_ms: Option<Sp<u64>>,
    probes: Option<Vec<Sp<String>>>,
    critical: Option<Sp<bool>>,
    tags: Option<Vec<Sp<String>>>,
}

/// The validated configuration of one check.
pub(crate) struct Config {
    pub(crate) name: String,
    /// Where the name came from: the `name = "..."` literal, or the function's name.
    pub(crate) name_span: Span,
    pub(crate) timeout_ms: u64,
    pub(crate) probes: Vec<&'static str>,
    pub(crate) critical: bool,
    pub(crate) tags: Vec<String>,
}

/// Parses every argument, recording bad ones and carrying on.
pub(crate) fn parse(cx: &mut Ctxt, tokens: TokenStream) -> Args {
    let mut args = Args::default();
    let mut errors = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.to_token_stream().to_string().replace(' ', "");
        let known = ARGUMENTS.iter().find(|argument| **argument == key);
        if !meta.input.peek(Token![=]) {
            // Record and carry on: the next token must still be `,` or the end.
            errors.push(match known {
                Some(argument) => syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "argument `{argument}` needs a value, like `{}`",
                        example(argument)
                    ),
                ),
                None => unknown_argument(&meta.path, &key),
            });
            return Ok(());
        }
        let value: Expr = meta.value()?.parse()?;
        let path = &meta.path;
        let errors = &mut errors;
        match key.as_str() {
            "name" => set(
                &mut args.name,
                path,
                lit::string(&value, example("name")),
                errors,
            ),
            "timeout_ms" => set(&mut args.timeout_ms, path, timeout(&value), errors),
            "probe" => set(
                &mut args.probes,
                path,
                lit::strings(&value, true, example("probe"))
                    .and_then(|probes| non_empty(probes, &value)),
                errors,
            ),
            "critical" => set(
                &mut args.critical,
                path,
                lit::bool(&value, example("critical")),
                errors,
            ),
            "tags" => set(
                &mut args.tags,
                path,
                lit::strings(&value, false, example("tags")),
                errors,
            ),
            _ => errors.push(unknown_argument(path, &key)),
        }
        Ok(())
    });
    if let Err(error) = parser.parse2(tokens) {
        cx.syn_error(error);
    }
    for error in errors {
        cx.syn_error(error);
    }
    args
}

fn example(argument: &str) -> &'static str {
    match argument {
        "name" => "name = \"postgres\"",
        "timeout_ms" => "timeout_ms = 2000",
        "probe" => "probe = \"readiness\"",
        "critical" => "critical = false",
        _ => "tags = [\"db\"]",
    }
}

/// `timeout_ms`, which also explains a unit written after the number (`2s`).
fn timeout(value: &Expr) -> syn::Result<Sp<u64>> {
    if let Some(Lit::Int(int)) = lit::lit(value) {
        let factor = match int.suffix() {
            "ms" => Some(1),
            "s" | "sec" | "secs" => Some(1000),
            _ => None,
        };
        if let (Some(factor), Ok(number)) = (factor, int.base10_parse::<u64>()) {
            return Err(syn::Error::new(
                int.span(),
                format!(
                    "`timeout_ms` is a plain number of milliseconds: write `timeout_ms = {}`",
                    number.saturating_mul(factor)
                ),
            ));
        }
    }
    lit::u64(value, example("timeout_ms"))
}

fn unknown_argument(path: &syn::Path, key: &str) -> syn::Error {
    syn::Error::new_spanned(
        path,
        format!(
            "unknown argument `{key}`; {}the arguments of `#[health_check]` are {}",
            suggest::did_you_mean(key, ARGUMENTS),
            suggest::list(ARGUMENTS)
        ),
    )
}

fn non_empty(probes: Vec<Sp<String>>, value: &Expr) -> syn::Result<Vec<Sp<String>>> {
    if probes.is_empty() {
        return Err(syn::Error::new_spanned(
            value,
            format!(
                "`probe` lists no probe; list one or more of {}, or leave `probe` out for \
                 `readiness`",
                suggest::list(PROBES)
            ),
        ));
    }
    Ok(probes)
}

/// Stores an argument's value, or records why it cannot be: ``duplicate argument `x` ``
/// on a second occurrence, or the value's own error. `what` names the kind of key
/// (`argument`, `option`) in the message.
fn set<T>(
    slot: &mut Option<T>,
    path: &syn::Path,
    parsed: syn::Result<T>,
    errors: &mut Vec<syn::Error>,
) {
    set_keyed(slot, path, parsed, errors, "argument");
}

/// [`set`] for a key named `what` in messages.
pub(crate) fn set_keyed<T>(
    slot: &mut Option<T>,
    path: &syn::Path,
    parsed: syn::Result<T>,
    errors: &mut Vec<syn::Error>,
    what: &str,
) {
    if slot.is_some() {
        let key = path.to_token_stream().to_string().replace(' ', "");
        errors.push(syn::Error::new_spanned(
            path,
            format!("duplicate {what} `{key}`: it is already set"),
        ));
        return;
    }
    match parsed {
        Ok(value) => *slot = Some(value),
        Err(error) => errors.push(error),
    }
}

/// Applies defaults and the single-value rules of DESIGN §2.
pub(crate) fn resolve(cx: &mut Ctxt, args: Args, function: &syn::Ident) -> Config {
    let (name, name_span) = match args.name {
        Some(name) => {
            if let Some(problem) = name::problem(&name.value) {
                cx.error(
                    name.span,
                    format!(
                        "invalid check name `{}`: {problem}{}",
                        name.value,
                        name::write_instead(&name.value)
                    ),
                );
            }
            (name.value, name.span)
        }
        None => {
            let default = function.to_string().trim_start_matches("r#").to_owned();
            if let Some(problem) = name::problem(&default) {
                let fixed = name::suggestion(&default).unwrap_or_else(|| "...".to_owned());
                cx.error(
                    function.span(),
                    format!(
                        "the check name defaults to the function name `{default}`, which is \
                         not a valid check name: {problem}; name the check with \
                         `#[health_check(name = \"{fixed}\")]`"
                    ),
                );
            }
            (default, function.span())
        }
    };

    let timeout_ms = match args.timeout_ms {
        Some(timeout) if timeout.value == 0 => {
            cx.error(timeout.span, "`timeout_ms` must be at least 1");
            DEFAULT_TIMEOUT_MS
        }
        Some(timeout) if timeout.value > MAX_TIMEOUT_MS => {
            cx.error(
                timeout.span,
                format!(
                    "`timeout_ms` must be at most {MAX_TIMEOUT_MS} (240 s, the longest probe \
                     timeout Azure Container Apps allows), found {}",
                    timeout.value
                ),
            );
            DEFAULT_TIMEOUT_MS
        }
        Some(timeout) => timeout.value,
        None => DEFAULT_TIMEOUT_MS,
    };

    let probes = match args.probes {
        None => vec!["readiness"],
        Some(probes) => resolve_probes(cx, probes),
    };

    let mut tags: Vec<String> = Vec::new();
    for tag in args.tags.unwrap_or_default() {
        if let Some(problem) = name::problem(&tag.value) {
            cx.error(
                tag.span,
                format!(
                    "invalid tag `{}`: {problem}{}",
                    tag.value,
                    name::write_instead(&tag.value)
                ),
            );
        } else if tags.contains(&tag.value) {
            cx.error(tag.span, format!("tag `{}` is listed twice", tag.value));
        } else {
            tags.push(tag.value);
        }
    }

    Config {
        name,
        name_span,
        timeout_ms,
        probes,
        critical: args.critical.is_none_or(|critical| critical.value),
        tags,
    }
}

fn resolve_probes(cx: &mut Ctxt, probes: Vec<Sp<String>>) -> Vec<&'static str> {
    let mut resolved = Vec::new();
    for probe in probes {
        match PROBES.iter().find(|known| **known == probe.value) {
            Some(known) if resolved.contains(known) => {
                cx.error(probe.span, format!("probe `{known}` is listed twice"));
            }
            Some(known) => resolved.push(*known),
            None => cx.error(
                probe.span,
                format!(
                    "no such probe `{}`; {}the probes are {}",
                    probe.value,
                    suggest::did_you_mean(&probe.value, PROBES),
                    suggest::list(PROBES)
                ),
            ),
        }
    }
    resolved
}
