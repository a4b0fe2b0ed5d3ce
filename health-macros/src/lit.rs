//! Reading literal values out of argument expressions, with errors on the value's span.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr};

/// A value as written, kept with its span so validation can point at it.
#[derive(Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

pub(crate) fn lit(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => lit(&group.expr),
        _ => None,
    }
}

pub(crate) fn string(expr: &Expr, example: &str) -> syn::Result<Sp<String>> {
    match lit(expr) {
        Some(Lit::Str(s)) => Ok(lit_str(s)),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("expected a string literal, like `{example}`"),
        )),
    }
}

pub(crate) fn lit_str(s: &LitStr) -> Sp<String> {
    Sp {
        value: s.value(),
        span: s.span(),
    }
}

pub(crate) fn bool(expr: &Expr, example: &str) -> syn::Result<Sp<bool>> {
    match lit(expr) {
        Some(Lit::Bool(b)) => Ok(Sp {
            value: b.value,
            span: b.span,
        }),
        _ => Err(syn::Error::new(
            expr.span(),
            format!("expected `true` or `false`, like `{example}`"),
        )),
    }
}

pub(crate) fn u64(expr: &Expr, example: &str) -> syn::Result<Sp<u64>> {
    let not_integer = || {
        syn::Error::new(
            expr.span(),
            format!("expected an integer literal, like `{example}`"),
        )
    };
    match lit(expr) {
        Some(Lit::Int(int)) => {
            if !int.suffix().is_empty() {
                return Err(syn::Error::new(
                    int.span(),
                    format!("write the number without a type suffix, like `{example}`"),
                ));
            }
            let value = int.base10_parse::<u64>().map_err(|_| not_integer())?;
            Ok(Sp {
                value,
                span: int.span(),
            })
        }
        _ => Err(not_integer()),
    }
}

/// A string, or a bracketed list of strings (`"a"` or `["a", "b"]`).
pub(crate) fn strings(
    expr: &Expr,
    allow_single: bool,
    example: &str,
) -> syn::Result<Vec<Sp<String>>> {
    match expr {
        Expr::Array(array) => array
            .elems
            .iter()
            .map(|elem| string(elem, example))
            .collect(),
        Expr::Group(group) => strings(&group.expr, allow_single, example),
        _ if allow_single => match lit(expr) {
            Some(Lit::Str(s)) => Ok(vec![lit_str(s)]),
            _ => Err(syn::Error::new(
                expr.span(),
                format!("expected a string or a list of strings, like `{example}`"),
            )),
        },
        _ => Err(syn::Error::new(
            expr.span(),
            format!("expected a list of strings, like `{example}`"),
        )),
    }
}
