//! The rules on the annotated function: a free `async fn`, not generic, every parameter a
//! name bound to `&T` of a concrete, owned type.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{FnArg, GenericArgument, Pat, PathArguments, ReturnType, Signature, Type, TypePath};

use crate::ctxt::Ctxt;
use crate::print;

/// The most resources one check takes; `health_routes!(checks = [...])` accepts functions
/// of up to this many parameters.
const MAX_RESOURCES: usize = 12;

/// One resource parameter: `pool: &PgPool` gives `PgPool`.
pub(crate) struct Resource {
    pub(crate) ty: Type,
    /// How the type reads in "`PgPool` not initialised".
    pub(crate) display: String,
}

pub(crate) struct CheckSignature {
    pub(crate) resources: Vec<Resource>,
}

/// `associated`: the function is in an `impl` or a `trait`, already reported.
pub(crate) fn validate(cx: &Ctxt, sig: &Signature, associated: bool) -> CheckSignature {
    free_async_fn(cx, sig, associated);
    no_generics(cx, sig);
    if sig.inputs.len() > MAX_RESOURCES {
        cx.error_spanned_by(
            &sig.inputs,
            format!(
                "a health check takes at most {MAX_RESOURCES} resources; provide related \
                 values together in one struct and take `&` of it"
            ),
        );
    }
    // A lifetime declared on the function is one mistake with its uses, reported once.
    let declared: Vec<&syn::Lifetime> = sig
        .generics
        .lifetimes()
        .map(|param| &param.lifetime)
        .collect();
    let resources = sig
        .inputs
        .iter()
        .filter_map(|input| parameter(cx, input, &declared))
        .collect();
    if let ReturnType::Type(_, ty) = &sig.output {
        return_type(cx, sig, ty);
    }
    CheckSignature { resources }
}

/// One error for whatever keeps the function from being a free `async fn`.
fn free_async_fn(cx: &Ctxt, sig: &Signature, associated: bool) {
    let ident = &sig.ident;
    if associated {
        return;
    }
    if let Some(receiver) = sig.receiver() {
        cx.error_spanned_by(
            receiver,
            "a health check must be a free `async fn`, not a method: it cannot take `self`; \
             provide the value with `health.provide(value)` and take it as a parameter `&Type`",
        );
        return;
    }
    let what = if sig.constness.is_some() {
        Some("a `const fn`")
    } else if matches!(sig.safety, syn::Safety::Unsafe(_)) {
        Some("an `unsafe fn`")
    } else if sig.abi.is_some() {
        Some("an `extern` fn")
    } else {
        None
    };
    let qualifiers = {
        let (constness, asyncness, safety, abi, fn_token) = (
            &sig.constness,
            &sig.asyncness,
            &sig.safety,
            &sig.abi,
            &sig.fn_token,
        );
        quote!(#constness #asyncness #safety #abi #fn_token)
    };
    if let Some(what) = what {
        cx.error_spanned_by(
            qualifiers,
            format!(
                "a health check must be a free `async fn`, not {what}: write `async fn {ident}`"
            ),
        );
    } else if sig.asyncness.is_none() {
        let message = match &sig.output {
            ReturnType::Type(_, ty) if future_output(ty).is_some() => format!(
                "a health check must be an `async fn`, which returns its value rather than a \
                 future: write `async fn {ident}` returning `{}`",
                future_output(ty).map(print::rust).unwrap_or_default()
            ),
            _ => format!("a health check must be an `async fn`: write `async fn {ident}`"),
        };
        cx.error_spanned_by(sig.fn_token, message);
    }
}

/// The return types accepted, for messages.
const ACCEPTED: &str = "a health check returns `()`, `bool`, `Result<T, E>` (`E: Display` \
                        is reported as the error, `T: Serialize` under details) or \
                        `health_runtime::CheckOutcome`";

/// The return types the macro rejects from their shape, with the advice that fits them; any
/// other type is asserted on its type by the generated code.
fn return_type(cx: &Ctxt, sig: &Signature, ty: &Type) {
    let message = if let Some(output) = future_output(ty) {
        if sig.asyncness.is_none() {
            // The function is reported as not `async`, with this output.
            return;
        }
        format!(
            "an `async fn` returns its value, and the compiler makes the future: write `-> {}`",
            print::rust(output)
        )
    } else if mentions(
        &ty.to_token_stream(),
        &|token| matches!(token, TokenTree::Ident(i) if i == "impl"),
    ) {
        format!(
            "the return type of a health check is named, not `impl Trait`: the check's result is \
             read by its type; {ACCEPTED}"
        )
    } else if std_type(ty, &["Option"]) {
        format!(
            "`{}` is not a return type a health check can have: return `bool` (like \
             `value.is_some()`), or `Result<T, String>` (like `value.ok_or(\"missing\")`); \
             {ACCEPTED}",
            print::rust(ty)
        )
    } else if std_type(ty, &["String", "str"]) || is_str_reference(ty) {
        format!(
            "`{}` is not a return type a health check can have: a string says nothing about \
             health; return `Result<(), String>` with `Err(message)` when unhealthy, or \
             `CheckOutcome::degraded(message)`; {ACCEPTED}",
            print::rust(ty)
        )
    } else if std_type(ty, NUMBERS) {
        let number = print::rust(ty);
        format!(
            "`{number}` is not a return type a health check can have: a number says nothing \
             about health; return `Result<{number}, String>` with `Ok(n)` to report it under \
             details, or `bool`; {ACCEPTED}"
        )
    } else {
        return;
    };
    cx.error_spanned_by(ty, message);
}

const NUMBERS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64",
];

/// `X` of `impl Future<Output = X>`.
fn future_output(ty: &Type) -> Option<&Type> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// A type named `name`, alone or under `std`, `core` or `alloc`: one the user most likely
/// did not define.
fn std_type(ty: &Type, names: &[&str]) -> bool {
    let Type::Path(TypePath {
        qself: None, path, ..
    }) = ty
    else {
        return false;
    };
    let Some(last) = path.segments.last() else {
        return false;
    };
    let first = &path.segments[0].ident;
    names.iter().any(|name| last.ident == name)
        && (path.segments.len() == 1 || ["std", "core", "alloc"].iter().any(|c| first == c))
}

fn is_str_reference(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference) if std_type(&reference.elem, &["str", "String"]))
}

fn no_generics(cx: &Ctxt, sig: &Signature) {
    if !sig.generics.params.is_empty() {
        let only_lifetimes = sig.generics.lifetimes().count() == sig.generics.params.len();
        let message = if only_lifetimes {
            "a health check cannot have lifetime parameters: remove them, and the lifetimes \
             of its parameters, which are plain `&T`, like `pool: &PgPool`"
        } else {
            "a health check cannot be generic: its resources are looked up by concrete type; \
             name the types (`pool: &PgPool`) and remove the generic parameters"
        };
        cx.error_spanned_by(&sig.generics, message);
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "a health check cannot have a `where` clause: it is not generic",
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "a health check cannot be variadic");
    }
}

fn parameter(cx: &Ctxt, input: &FnArg, declared: &[&syn::Lifetime]) -> Option<Resource> {
    // A receiver is reported with the function's qualifiers.
    let FnArg::Typed(typed) = input else {
        return None;
    };
    let resource = match resource_type(&typed.ty) {
        Ok(ty) => Some(ty),
        Err(_) if uses_declared_lifetime(&typed.ty, declared) => None,
        Err(problem) => {
            cx.error_spanned_by(&typed.ty, problem.message);
            None
        }
    };
    binding(cx, &typed.pat, &typed.ty);
    let ty = resource?.clone();
    Some(Resource {
        display: print::rust(&ty),
        ty,
    })
}

/// `&'a T` where `'a` is a lifetime parameter of the function, already reported there.
fn uses_declared_lifetime(ty: &Type, declared: &[&syn::Lifetime]) -> bool {
    matches!(ty, Type::Reference(reference)
        if reference.lifetime.as_ref().is_some_and(|lifetime| declared.contains(&lifetime)))
}

/// What is wrong with a parameter's type, and the type to write when there is one.
struct TypeProblem {
    message: String,
    fixed: Option<String>,
}

impl TypeProblem {
    fn fix(message: impl Into<String>, fixed: String) -> Self {
        TypeProblem {
            message: format!("{}: write `{fixed}`", message.into()),
            fixed: Some(fixed),
        }
    }

    fn advice(message: impl Into<String>) -> Self {
        TypeProblem {
            message: message.into(),
            fixed: None,
        }
    }
}

/// The resource type `T` of a parameter `&T`.
fn resource_type(ty: &Type) -> Result<&Type, TypeProblem> {
    let Type::Reference(reference) = ty else {
        return Err(owned_parameter(ty));
    };
    let elem = &*reference.elem;
    let fixed = || match referent_problem(elem) {
        Some(problem) => problem.fixed,
        None => Some(format!("&{}", print::rust(elem))),
    };
    if reference.mutability.is_some() {
        let message = "a health check takes its resources as shared references `&T`, not \
                       `&mut T`: checks run concurrently and share them";
        return Err(match fixed() {
            Some(fixed) => TypeProblem::fix(message, fixed),
            None => TypeProblem::advice(message),
        });
    }
    if reference.lifetime.is_some() {
        let message = "a health check parameter is a plain `&T`, without a lifetime";
        return Err(match fixed() {
            Some(fixed) => TypeProblem::fix(message, fixed),
            None => TypeProblem::advice(message),
        });
    }
    match referent_problem(elem) {
        Some(problem) => Err(problem),
        None => Ok(elem),
    }
}

/// A parameter that is not a reference: `PgPool`, `Arc<PgPool>`, `impl Trait`.
fn owned_parameter(ty: &Type) -> TypeProblem {
    if let Type::ImplTrait(_) = ty {
        return generic_parameter();
    }
    let referent = smart_pointer_target(ty).unwrap_or(ty);
    let message = "a health check takes each resource as a shared reference, however it was \
                   provided (`health.provide(value)` or `health.provide(Arc::new(value))`)";
    match referent_problem(referent) {
        Some(problem) => TypeProblem::advice(format!("{message}; {}", problem.message)),
        None => TypeProblem::fix(message, format!("&{}", print::rust(referent))),
    }
}

fn generic_parameter() -> TypeProblem {
    TypeProblem::advice(
        "a health check resource is looked up by its concrete type, and `impl Trait` makes \
         the check generic: name the type, like `pool: &PgPool`",
    )
}

/// Why `T` cannot be looked up as a resource for `&T`.
fn referent_problem(ty: &Type) -> Option<TypeProblem> {
    let looked_up = "a health check resource is looked up by its type";
    match ty {
        Type::ImplTrait(_) => Some(generic_parameter()),
        Type::TraitObject(object) => {
            let bounds = print::rust(&object.bounds);
            let shared = if bounds.contains("Send") && bounds.contains("Sync") {
                bounds.clone()
            } else {
                format!("{bounds} + Send + Sync")
            };
            Some(TypeProblem::fix(
                format!(
                    "a health check resource is found by its exact type, and `dyn {bounds}` \
                     alone cannot be provided: provide an `Arc<dyn {shared}>`, as that very \
                     type (`health.provide(Arc::new(value) as Arc<dyn {shared}>)`), and take \
                     the same"
                ),
                format!("&Arc<dyn {shared}>"),
            ))
        }
        Type::Slice(slice) => Some(TypeProblem::fix(
            format!("{looked_up}, and a slice is not one: provide a `Vec`"),
            format!("&Vec<{}>", print::rust(&slice.elem)),
        )),
        Type::Reference(_) => Some(TypeProblem::fix(
            format!("{looked_up}; take it by one shared reference"),
            format!("&{}", print::rust(strip_references(ty))),
        )),
        Type::Paren(paren) => referent_problem(&paren.elem),
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => {
            Some(TypeProblem::fix(
                format!("{looked_up}, and `str` is not one: provide a `String`"),
                "&String".to_owned(),
            ))
        }
        _ => nested_problem(ty),
    }
}

/// `Arc<T>` inside `&`, `impl Trait` or a borrowed lifetime anywhere inside the type.
fn nested_problem(ty: &Type) -> Option<TypeProblem> {
    if let Some(target) = arc_target(ty)
        && !matches!(target, Type::TraitObject(_))
        && referent_problem(target).is_none()
    {
        return Some(TypeProblem::fix(
            "a resource provided as `Arc<T>` is taken as `&T`",
            format!("&{}", print::rust(target)),
        ));
    }
    let tokens = ty.to_token_stream();
    if mentions(
        &tokens,
        &|token| matches!(token, TokenTree::Ident(i) if i == "impl"),
    ) {
        return Some(generic_parameter());
    }
    if has_borrowed_lifetime(tokens.clone()) {
        return Some(TypeProblem::fix(
            "a health check resource lives as long as the application, so its type cannot \
             borrow",
            format!("&{}", print::rust(static_lifetimes(tokens))),
        ));
    }
    None
}

fn strip_references(ty: &Type) -> &Type {
    match ty {
        Type::Reference(reference) => strip_references(&reference.elem),
        other => other,
    }
}

/// `T` of `Arc<T>`, `Rc<T>` or `Box<T>`, by the last segment of the path.
fn smart_pointer_target(ty: &Type) -> Option<&Type> {
    single_type_argument(ty, &["Arc", "Rc", "Box"])
}

fn arc_target(ty: &Type) -> Option<&Type> {
    single_type_argument(ty, &["Arc"])
}

fn single_type_argument<'t>(ty: &'t Type, names: &[&str]) -> Option<&'t Type> {
    let Type::Path(TypePath {
        qself: None, path, ..
    }) = ty
    else {
        return None;
    };
    let last = path.segments.last()?;
    if !names.iter().any(|name| last.ident == name) {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Type(target)] => Some(target),
        _ => None,
    }
}

fn mentions(tokens: &TokenStream, test: &dyn Fn(&TokenTree) -> bool) -> bool {
    tokens.clone().into_iter().any(|token| match &token {
        TokenTree::Group(group) => mentions(&group.stream(), test),
        other => test(other),
    })
}

/// Whether a lifetime other than `'static` appears in the type.
fn has_borrowed_lifetime(tokens: TokenStream) -> bool {
    let mut after_quote = false;
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '\'' => after_quote = true,
            TokenTree::Ident(ident) if after_quote => {
                if ident != "static" {
                    return true;
                }
                after_quote = false;
            }
            TokenTree::Group(group) if has_borrowed_lifetime(group.stream()) => return true,
            _ => after_quote = false,
        }
    }
    false
}

/// The type with every lifetime made `'static`.
fn static_lifetimes(tokens: TokenStream) -> TokenStream {
    let mut after_quote = false;
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Punct(p) if p.as_char() == '\'' => {
                after_quote = true;
                TokenTree::Punct(p)
            }
            TokenTree::Ident(ident) if after_quote => {
                after_quote = false;
                TokenTree::Ident(syn::Ident::new("static", ident.span()))
            }
            TokenTree::Group(group) => {
                after_quote = false;
                let mut fixed =
                    proc_macro2::Group::new(group.delimiter(), static_lifetimes(group.stream()));
                fixed.set_span(group.span());
                TokenTree::Group(fixed)
            }
            other => {
                after_quote = false;
                other
            }
        })
        .collect()
}

/// The parameter's pattern: a name (or `_`), since a resource is taken whole.
fn binding(cx: &Ctxt, pat: &Pat, ty: &Type) {
    let fixed_type = match resource_type(ty) {
        Ok(_) => Some(print::rust(ty)),
        Err(problem) => problem.fixed,
    };
    let message = match pat {
        Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => return,
        Pat::Wild(_) => return,
        Pat::Ident(ident) if ident.subpat.is_none() => {
            let name = &ident.ident;
            let write = fixed_type
                .map(|ty| format!(": write `{name}: {ty}`"))
                .unwrap_or_default();
            format!("a health check parameter is a plain name: remove `ref`{write}")
        }
        _ => {
            let name = match pat {
                Pat::Reference(reference) => match &*reference.pat {
                    Pat::Ident(ident) => ident.ident.to_string(),
                    _ => "resource".to_owned(),
                },
                Pat::Ident(ident) => ident.ident.to_string(),
                _ => binding_name(fixed_type.as_deref().unwrap_or_default()),
            };
            let write = fixed_type
                .map(|ty| format!(": write `{name}: {ty}`"))
                .unwrap_or_default();
            format!(
                "a health check parameter is a name for the whole resource, like `pool: &PgPool`; \
                 destructure it inside the check{write}"
            )
        }
    };
    cx.error_spanned_by(pat, message);
}

/// `pg_pool` for `PgPool`, `resource` when the type has no name of its own.
fn binding_name(ty: &str) -> String {
    let ty = ty.trim_start_matches('&');
    let last = ty.rsplit("::").next().unwrap_or(ty);
    let name: String = last
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // A type named in lowercase (`u32`, `str`) would make a confusing binding.
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return "resource".to_owned();
    }
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
