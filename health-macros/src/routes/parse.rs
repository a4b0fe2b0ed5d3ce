//! The handle and the options of `health_routes!`, read into their types.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Token};

use crate::args::{self, ListSpec, NamedArg};
use crate::ctxt::Ctxt;
use crate::once::Once;
use crate::value::{self, Key, SpannedValue};
use crate::{name, print, suggest};

pub(crate) const OPTIONS: &[&str] = &["liveness", "readiness", "startup", "checks", "tags"];

pub(crate) struct Input<'c> {
    pub(crate) handle: Option<Expr>,
    pub(crate) liveness: Once<'c, SpannedValue<String>>,
    pub(crate) readiness: Once<'c, SpannedValue<String>>,
    pub(crate) startup: Once<'c, SpannedValue<String>>,
    pub(crate) checks: Once<'c, SpannedValue<Vec<syn::Path>>>,
    pub(crate) tags: Once<'c, SpannedValue<Vec<SpannedValue<String>>>>,
}

const SPEC: ListSpec = ListSpec {
    kind: "option",
    owner: "health_routes!",
    keys: OPTIONS,
    example,
    positional,
    bare,
};

const LIVENESS: Key = path_key("liveness", "liveness = \"/livez\"");
const READINESS: Key = path_key("readiness", "readiness = \"/readyz\"");
const STARTUP: Key = path_key("startup", "startup = \"/startupz\"");

const fn path_key(name: &'static str, example: &'static str) -> Key {
    Key {
        name,
        example,
        accepts: accepts_path,
    }
}

pub(crate) fn example(option: &str) -> &'static str {
    match option {
        "liveness" => "liveness = \"/livez\"",
        "readiness" => "readiness = \"/readyz\"",
        "startup" => "startup = \"/startupz\"",
        "checks" => "checks = [postgres, db::redis]",
        _ => "tags = [\"db\"]",
    }
}

fn positional(value: &Expr) -> String {
    match value::literal(value) {
        Some(syn::Lit::Str(_)) => format!(
            "the paths are named: `liveness = \"...\"`, `readiness = \"...\"` and `startup = \
             \"...\"`; {}",
            SPEC.listing()
        ),
        _ => format!(
            "expected `option = value`, found `{}`; {}",
            print::rust(value),
            SPEC.listing()
        ),
    }
}

fn bare(word: &str) -> String {
    match suggest::closest(word, OPTIONS) {
        Some(option) => format!(
            "unknown option `{word}`; did you mean `{option}`, with a value like `{}`? {}",
            example(option),
            SPEC.listing()
        ),
        None => format!(
            "expected `option = value`, found `{word}`; the handle, if any, comes first and \
             alone: `health_routes!(health, readiness = \"/readyz\")`"
        ),
    }
}

pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Input<'_> {
    let mut input = Input {
        handle: None,
        liveness: Once::new(cx, "option"),
        readiness: Once::new(cx, "option"),
        startup: Once::new(cx, "option"),
        checks: Once::new(cx, "option"),
        tags: Once::new(cx, "option"),
    };
    let rest = match split_handle.parse2(tokens) {
        Ok((handle, rest)) => {
            input.handle = handle.filter(|handle| is_handle(cx, handle));
            rest
        }
        Err(error) => {
            cx.syn_error(error);
            return input;
        }
    };
    for arg in args::parse(cx, rest, &SPEC) {
        option(cx, &mut input, &arg);
    }
    input
}

/// Whether `handle` can be a `Health` handle: a literal cannot, and is reported here; the
/// type of any other expression is the compiler's to check.
fn is_handle(cx: &Ctxt, handle: &Expr) -> bool {
    let Some(literal) = value::literal(handle) else {
        return true;
    };
    let fix = match literal {
        syn::Lit::Str(s) if syn::parse_str::<syn::Ident>(&s.value()).is_ok() => {
            format!("write `health_routes!({})`", s.value())
        }
        _ => "write its name, like `health_routes!(health)` after `let health = \
              Health::new();`, or nothing, `health_routes!()`, for `Health::global()`"
            .to_owned(),
    };
    cx.error_spanned_by(
        handle,
        format!(
            "`{}` is not a `Health` handle: `health_routes!` takes the handle the checks' \
             resources are provided to; {fix}",
            print::rust(handle)
        ),
    );
    false
}

/// The handle, when the input does not start with an option, and the tokens after it.
fn split_handle(input: ParseStream) -> syn::Result<(Option<Expr>, TokenStream)> {
    let option_first = input.peek(syn::Ident)
        && (input.peek2(Token![=]) && !input.peek2(Token![==])
            || input.peek2(Token![:]) && !input.peek2(Token![::]));
    if input.is_empty() || option_first {
        return Ok((None, input.parse()?));
    }
    let handle: Expr = input.parse()?;
    if !input.is_empty() {
        input.parse::<Token![,]>().map_err(|_| {
            input.error(
                "expected `,` after the handle, then the options, like \
                 `health_routes!(health, readiness = \"/readyz\")`",
            )
        })?;
    }
    Ok((Some(handle), input.parse()?))
}

fn option<'c>(cx: &'c Ctxt, input: &mut Input<'c>, arg: &NamedArg) {
    let NamedArg { key, value } = arg;
    let path = |key: &'static Key| move || value::string(cx, key, value);
    match arg.key_name().as_str() {
        "liveness" => input.liveness.set(key, path(&LIVENESS)),
        "readiness" => input.readiness.set(key, path(&READINESS)),
        "startup" => input.startup.set(key, path(&STARTUP)),
        "checks" => input.checks.set(key, || check_list(cx, value)),
        "tags" => input.tags.set(key, || {
            let tags = value::strings(cx, &name::TAGS, value, false);
            tags.map(|tags| SpannedValue::new(tags, value))
        }),
        other => unknown(cx, arg, other),
    }
}

fn accepts_path(path: &str) -> bool {
    health_rules::validate_path(path).is_ok()
}

fn unknown(cx: &Ctxt, arg: &NamedArg, key: &str) {
    let meant = suggest::closest(key, OPTIONS).map(|option| {
        let accepted = match option {
            "checks" => matches!(&arg.value, Expr::Array(_)),
            "tags" => false,
            _ => matches!(
                value::literal(&arg.value),
                Some(syn::Lit::Str(s)) if accepts_path(&s.value())
            ),
        };
        if accepted {
            format!("did you mean `{option} = {}`? ", print::rust(&arg.value))
        } else {
            format!("did you mean `{option}`? ")
        }
    });
    cx.error_spanned_by(
        &arg.key,
        format!(
            "unknown option `{key}`; {}{}",
            meant.unwrap_or_default(),
            SPEC.listing()
        ),
    );
}

/// `[postgres, db::redis]`: the functions, as paths.
fn check_list(cx: &Ctxt, value: &Expr) -> Option<SpannedValue<Vec<syn::Path>>> {
    let Expr::Array(array) = value else {
        let message = match value {
            Expr::Path(path) if path.qself.is_none() => format!(
                "`checks` is a list: write `checks = [{}]`",
                print::rust(path)
            ),
            _ => "`checks` is a list of `#[health_check]` functions, like `checks = [postgres, \
                  db::redis]`"
                .to_owned(),
        };
        cx.error_spanned_by(value, message);
        return None;
    };
    let mut paths = Some(Vec::with_capacity(array.elems.len()));
    for elem in &array.elems {
        match check_path(cx, elem) {
            Some(path) => paths.as_mut().map(|paths| paths.push(path)),
            None => paths.take().map(drop),
        };
    }
    paths.map(|paths| SpannedValue::new(paths, value))
}

fn check_path(cx: &Ctxt, elem: &Expr) -> Option<syn::Path> {
    let message = match elem {
        Expr::Path(path) if path.qself.is_none() => return Some(path.path.clone()),
        Expr::Group(group) => return check_path(cx, &group.expr),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => match s.parse::<syn::Path>() {
            Ok(path) => format!(
                "list the function itself, not its name: write `{}`",
                print::rust(path)
            ),
            Err(_) => "list the `#[health_check]` function itself, like `postgres`".to_owned(),
        },
        Expr::Call(call) if matches!(&*call.func, Expr::Path(_)) => format!(
            "list the function without calling it: write `{}`",
            print::rust(&call.func)
        ),
        Expr::Reference(reference) if matches!(&*reference.expr, Expr::Path(_)) => format!(
            "list the function itself: write `{}`",
            print::rust(&reference.expr)
        ),
        _ => "expected the path of a `#[health_check]` function, like `postgres` or `db::redis`"
            .to_owned(),
    };
    cx.error_spanned_by(elem, message);
    None
}
