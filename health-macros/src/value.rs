//! Reading literal values out of argument expressions. Each reader reports a wrong value
//! on the whole expression, saying what to write, and returns `None` so parsing carries on.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprArray, ExprLit, Lit, LitStr};

use crate::ctxt::Ctxt;
use crate::print;

/// A value as written, kept with its tokens so that validation can underline all of it.
#[derive(Clone)]
pub(crate) struct SpannedValue<T> {
    pub(crate) value: T,
    pub(crate) tokens: TokenStream,
}

impl<T> SpannedValue<T> {
    pub(crate) fn new(value: T, tokens: impl ToTokens) -> Self {
        SpannedValue {
            value,
            tokens: tokens.into_token_stream(),
        }
    }
}

/// One argument as its readers see it: its key, an accepted `key = value` to show, and
/// which strings it accepts, so that a fix is offered only when it would be accepted.
pub(crate) struct Key {
    pub(crate) name: &'static str,
    pub(crate) example: &'static str,
    pub(crate) accepts: fn(&str) -> bool,
}

/// The literal an expression is, seeing through the invisible groups macros add.
pub(crate) fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

fn array(expr: &Expr) -> Option<&ExprArray> {
    match expr {
        Expr::Array(array) => Some(array),
        Expr::Group(group) => array(&group.expr),
        _ => None,
    }
}

/// A string literal.
pub(crate) fn string(cx: &Ctxt, key: &Key, expr: &Expr) -> Option<SpannedValue<String>> {
    if let Some(Lit::Str(s)) = literal(expr) {
        return Some(lit_str(s));
    }
    let name = key.name;
    let message = match meant_string(expr, key.accepts) {
        Some(fixed) => format!("`{name}` is a string: write `{name} = {fixed:?}`"),
        None if matches!(expr, Expr::Path(_) | Expr::Macro(_)) => format!(
            "`{name}` is a string literal, like `{}`; `{}` is not one, and the macro reads its \
             arguments before constants and macros are expanded",
            key.example,
            print::rust(expr)
        ),
        None => format!("`{name}` is a string literal, like `{}`", key.example),
    };
    cx.error_spanned_by(expr, message);
    None
}

/// The accepted string meant by a value written without quotes (`redis`, `'r'`,
/// `Probe::Readiness`), if there is one.
fn meant_string(expr: &Expr, accepts: fn(&str) -> bool) -> Option<String> {
    let written = match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.segments.last()?.ident.to_string(),
        Expr::Group(group) => return meant_string(&group.expr, accepts),
        _ => match literal(expr)? {
            Lit::Char(c) => c.value().to_string(),
            Lit::Int(int) if int.suffix().is_empty() => int.base10_digits().to_owned(),
            _ => return None,
        },
    };
    let lowercase = written.to_lowercase();
    [written, lowercase]
        .into_iter()
        .find(|candidate| accepts(candidate))
}

pub(crate) fn lit_str(s: &LitStr) -> SpannedValue<String> {
    SpannedValue::new(s.value(), s)
}

/// `true` or `false`.
pub(crate) fn boolean(cx: &Ctxt, key: &str, expr: &Expr) -> Option<SpannedValue<bool>> {
    let meant = match literal(expr) {
        Some(Lit::Bool(b)) => return Some(SpannedValue::new(b.value, expr)),
        Some(Lit::Str(s)) => s.value().parse::<bool>().ok(),
        Some(Lit::Int(int)) => match int.base10_digits() {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        _ => None,
    };
    let message = match meant {
        Some(value) => format!("`{key}` is `true` or `false`: write `{key} = {value}`"),
        None => format!("`{key}` is `true` or `false`, like `{key} = false`"),
    };
    cx.error_spanned_by(expr, message);
    None
}

/// A bracketed list of string literals, or also a single string when `single` allows it
/// (`probe = "startup"`). A string holding a comma-separated list is shown as the list.
pub(crate) fn strings(
    cx: &Ctxt,
    key: &Key,
    expr: &Expr,
    single: bool,
) -> Option<Vec<SpannedValue<String>>> {
    if let Some(array) = array(expr) {
        let mut values = Some(Vec::with_capacity(array.elems.len()));
        for elem in &array.elems {
            match list_element(cx, key, elem) {
                Some(value) => values.as_mut().map(|values| values.push(value)),
                None => values.take().map(drop),
            };
        }
        return values;
    }
    if let Some(Lit::Str(s)) = literal(expr) {
        let items = comma_separated(&s.value());
        if single && items.len() == 1 {
            return Some(vec![lit_str(s)]);
        }
        let what = if items.len() > 1 {
            "lists each item as its own string"
        } else {
            "is a list"
        };
        cx.error_spanned_by(
            expr,
            format!("`{}` {what}: {}", key.name, list_fix(key, &items)),
        );
        return None;
    }
    let what = if single {
        "a string or a list of strings"
    } else {
        "a list of strings"
    };
    let fix = match meant_string(expr, key.accepts) {
        Some(item) if single => format!("write `{} = {item:?}`", key.name),
        Some(item) => list_fix(key, &[item]),
        None => format!("like `{}`", key.example),
    };
    cx.error_spanned_by(expr, format!("`{}` is {what}: {fix}", key.name));
    None
}

/// "write `tags = ["db", "sql"]`" when every item is accepted, else the example.
fn list_fix(key: &Key, items: &[String]) -> String {
    if items.iter().all(|item| (key.accepts)(item)) {
        format!("write `{} = {}`", key.name, list(items))
    } else {
        format!("like `{}`", key.example)
    }
}

fn list_element(cx: &Ctxt, key: &Key, elem: &Expr) -> Option<SpannedValue<String>> {
    let name = key.name;
    let Some(Lit::Str(s)) = literal(elem) else {
        let message = match meant_string(elem, key.accepts) {
            Some(fixed) => format!("each item of `{name}` is a string: write `{fixed:?}`"),
            None => format!(
                "each item of `{name}` is a string literal, like `{}`",
                key.example
            ),
        };
        cx.error_spanned_by(elem, message);
        return None;
    };
    let items = comma_separated(&s.value());
    if items.len() > 1 {
        let shown: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
        let message = if items.iter().all(|item| (key.accepts)(item)) {
            format!(
                "each item of `{name}` is its own string: write `{}`",
                shown.join(", ")
            )
        } else {
            format!(
                "each item of `{name}` is its own string, like `{}`",
                key.example
            )
        };
        cx.error_spanned_by(elem, message);
        return None;
    }
    Some(lit_str(s))
}

/// The items of `"a, b"`, or the string itself when it has no comma.
fn comma_separated(text: &str) -> Vec<String> {
    if !text.contains(',') {
        return vec![text.to_owned()];
    }
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `["a", "b"]`.
pub(crate) fn list(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
    format!("[{}]", shown.join(", "))
}
