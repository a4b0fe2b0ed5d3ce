//! Where the annotated function is, as its file tells: in an `impl` or a `trait` block (an
//! associated function, which no registration beside it could name), and after another
//! check of the same name in the same module (two checks of one name are a duplicate in
//! any binary). Without the file, or in doubt, nothing is reported here: the compiler's own
//! error, or the runtime's duplicate check when the router is built, remains.

use quote::quote;
use syn::{FnArg, ItemFn, Pat, ReturnType, Signature};

use super::validate::Config;
use crate::ctxt::Ctxt;
use crate::print;
use crate::source::{Container, Surroundings, Tree};

/// Reports a function in an `impl` or a `trait`; returns whether it was one.
pub(crate) fn associated(cx: &Ctxt, surroundings: &Surroundings, function: &ItemFn) -> bool {
    let sig = &function.sig;
    let ident = &sig.ident;
    let (where_, call) = match &surroundings.container {
        Container::Impl { header } => {
            let (trait_, self_type) = impl_parts(header);
            let call = match trait_ {
                Some(trait_) => format!("<{self_type} as {trait_}>::{ident}"),
                None => format!("{self_type}::{ident}"),
            };
            (format!("a function of `{header}`"), call)
        }
        Container::Trait { header } => {
            let name = trait_name(header);
            (
                format!("a function of `{header}`, which belongs to each type implementing it"),
                format!("<YourType as {name}>::{ident}"),
            )
        }
        Container::Module | Container::Macro => return false,
    };
    let wrapper = wrapper(sig, &call);
    let head = {
        let (fn_token, ident) = (&sig.fn_token, &sig.ident);
        quote!(#fn_token #ident)
    };
    cx.error_spanned_by(
        head,
        format!(
            "`#[health_check]` is on {where_}: a health check is a free `async fn`, outside \
             any `impl` or `trait`; move `{ident}` out of the block, or keep it there and \
             register a free function that calls it: `#[health_check] {wrapper}`"
        ),
    );
    true
}

/// `(Some("Checks"), "Pool")` for `impl<T> Checks for Pool<T> where ...`.
fn impl_parts(header: &str) -> (Option<String>, String) {
    let after_impl = header.strip_prefix("impl").unwrap_or(header).trim_start();
    let without_generics = if after_impl.starts_with('<') {
        skip_angle_brackets(after_impl)
    } else {
        after_impl
    };
    let before_where = without_generics
        .split(" where ")
        .next()
        .unwrap_or(without_generics)
        .trim();
    match before_where.split_once(" for ") {
        Some((trait_, self_type)) => (Some(base_name(trait_)), base_name(self_type)),
        None => (None, base_name(before_where)),
    }
}

fn skip_angle_brackets(text: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return text[i + 1..].trim_start();
                }
            }
            _ => {}
        }
    }
    text
}

/// `Pool` for `Pool<T>`: a free function names the type without the impl's parameters.
fn base_name(written: &str) -> String {
    written
        .split('<')
        .next()
        .unwrap_or(written)
        .trim()
        .to_owned()
}

fn trait_name(header: &str) -> String {
    let after = header.strip_prefix("trait").unwrap_or(header).trim_start();
    let end = after
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    after[..end].to_owned()
}

/// `async fn ping(pool: &PgPool) -> bool { Pool::ping(pool).await }`, a receiver taken as
/// a parameter of its own type.
fn wrapper(sig: &Signature, call: &str) -> String {
    let mut params = Vec::new();
    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let ty = call.split("::").next().unwrap_or("Self");
                let written = if matches!(receiver.kind, syn::ReceiverKind::Reference(..)) {
                    format!("&{ty}")
                } else {
                    ty.to_owned()
                };
                params.push(format!("resource: {written}"));
                args.push("resource".to_owned());
            }
            FnArg::Typed(typed) => {
                let name = match &*typed.pat {
                    Pat::Ident(ident) => ident.ident.to_string(),
                    _ => "resource".to_owned(),
                };
                params.push(format!("{name}: {}", print::rust(&typed.ty)));
                args.push(name);
            }
        }
    }
    let output = match &sig.output {
        ReturnType::Default => String::new(),
        ReturnType::Type(_, ty) => format!(" -> {}", print::rust(ty)),
    };
    format!(
        "async fn {}({}){output} {{ {call}({}).await }}",
        sig.ident,
        params.join(", "),
        args.join(", ")
    )
}

/// Reports this check's name when a check before it in the same module (or block) has it
/// too. Not inside a macro's arguments, which the macro may place anywhere.
pub(crate) fn duplicate(
    cx: &Ctxt,
    surroundings: &Surroundings,
    config: &Config,
    ident: &syn::Ident,
) {
    if !matches!(surroundings.container, Container::Module) {
        return;
    }
    let Some(earlier) = earlier_checks(&surroundings.before)
        .into_iter()
        .find(|earlier| earlier.name == config.name)
    else {
        return;
    };
    let this = ident.to_string();
    let fix = if this != config.name && crate::name::accepts(&this) {
        format!("name this one differently, like `name = {this:?}`")
    } else {
        "name this one differently with `name = \"...\"`".to_owned()
    };
    cx.syn_error(syn::Error::new(
        config.name_span,
        format!(
            "two health checks are named `{}`: `{}` (line {}) already is, and names are unique \
             in a binary; {fix}",
            config.name,
            earlier.function,
            surroundings.line_of(earlier.at),
        ),
    ));
}

/// A `#[health_check]` function before the attribute being expanded.
#[derive(Debug, PartialEq)]
struct EarlierCheck {
    name: String,
    function: String,
    /// The byte offset of the function's name.
    at: usize,
}

/// The checks among `trees` whose name is certain: none behind `#[cfg]` (which may leave
/// one of two same-named checks out), none named by anything but a string without escapes.
fn earlier_checks(trees: &[Tree]) -> Vec<EarlierCheck> {
    let mut checks = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        if !tree.is_ident("fn") {
            continue;
        }
        let Some(Tree::Ident(function, range)) = trees.get(i + 1) else {
            continue;
        };
        let attributes = attributes_before(&trees[..i]);
        if attributes.iter().any(|attr| {
            attr.first()
                .is_some_and(|t| t.is_ident("cfg") || t.is_ident("cfg_attr"))
        }) {
            continue;
        }
        let Some(args) = attributes.iter().find_map(|attr| health_check_args(attr)) else {
            continue;
        };
        let name = match args {
            None => Some(function.clone()),
            Some(args) => explicit_name(args),
        };
        if let Some(name) = name {
            checks.push(EarlierCheck {
                name,
                function: function.clone(),
                at: range.start,
            });
        }
    }
    checks
}

/// The contents of the `#[...]` attributes before a function's qualifiers.
fn attributes_before(trees: &[Tree]) -> Vec<&[Tree]> {
    let mut end = trees.len();
    // Qualifiers: `pub(crate) async unsafe extern "C"`.
    while end > 0
        && matches!(
            &trees[end - 1],
            Tree::Ident(..) | Tree::Literal(_) | Tree::Group('(', _)
        )
        && !trees[end - 1].is_ident("fn")
    {
        end -= 1;
    }
    let mut attributes = Vec::new();
    while end >= 2 && trees[end - 2].is_punct('#') {
        let Tree::Group('[', contents) = &trees[end - 1] else {
            break;
        };
        attributes.push(contents.as_slice());
        end -= 2;
    }
    attributes
}

/// `Some(None)` for `#[health_check]`, `Some(Some(args))` for `#[health_check(args)]`,
/// `None` for another attribute.
fn health_check_args(attribute: &[Tree]) -> Option<Option<&[Tree]>> {
    let last_ident = attribute
        .iter()
        .rposition(|tree| matches!(tree, Tree::Ident(..)))?;
    if !attribute[last_ident].is_ident("health_check") {
        return None;
    }
    let path_only = attribute[..last_ident]
        .iter()
        .all(|tree| matches!(tree, Tree::Ident(..)) || tree.is_punct(':'));
    match &attribute[last_ident + 1..] {
        [] if path_only => Some(None),
        [Tree::Group('(', args)] if path_only => Some(Some(args)),
        _ => None,
    }
}

/// The `name = "..."` of the arguments, or `None` when it is not a plain string.
fn explicit_name(args: &[Tree]) -> Option<String> {
    let key = args.iter().position(|tree| tree.is_ident("name"))?;
    match (args.get(key + 1), args.get(key + 2)) {
        (Some(eq), Some(Tree::Literal(Some(value)))) if eq.is_punct('=') => Some(value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source;

    fn checks(text: &str) -> Vec<(String, String)> {
        let trees = source::lex_all(text);
        earlier_checks(&trees)
            .into_iter()
            .map(|check| (check.name, check.function))
            .collect()
    }

    #[test]
    fn checks_are_read_with_their_names() {
        let text = r#"
            #[health_check]
            async fn postgres() {}
            /// A replica.
            #[health_runtime::health_check(timeout_ms = 5, name = "replica")]
            pub(crate) async fn other(pool: &Pool) -> bool { true }
            #[tokio::test]
            async fn not_a_check() {}
            #[cfg(test)]
            #[health_check]
            async fn behind_cfg() {}
            #[health_check(name = NAME)]
            async fn named_by_a_constant() {}
        "#;
        assert_eq!(
            checks(text),
            [
                ("postgres".to_owned(), "postgres".to_owned()),
                ("replica".to_owned(), "other".to_owned())
            ]
        );
    }

    #[test]
    fn impl_headers_give_the_type_to_call() {
        assert_eq!(impl_parts("impl Pool"), (None, "Pool".to_owned()));
        assert_eq!(
            impl_parts("impl<T: Clone> Checks for Pool<T> where T: Send"),
            (Some("Checks".to_owned()), "Pool".to_owned())
        );
        assert_eq!(trait_name("trait Checks: Sized"), "Checks");
    }
}
