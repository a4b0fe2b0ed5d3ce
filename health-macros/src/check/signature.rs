//! The rules on the annotated function: an `async fn`, not generic, no `self`, every
//! parameter a plain `&T` binding.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Pat, ReturnType, Signature, Type};

use crate::ctxt::Ctxt;

/// One resource parameter: `pool: &PgPool` gives `PgPool`.
pub(crate) struct Resource {
    pub(crate) ty: Type,
    /// How the type reads in "`PgPool` not initialised".
    pub(crate) display: String,
}

pub(crate) struct CheckSignature {
    pub(crate) resources: Vec<Resource>,
    /// The span of the declared return type, or of the function name when it returns `()`.
    pub(crate) output_span: Span,
}

pub(crate) fn validate(cx: &mut Ctxt, sig: &Signature) -> CheckSignature {
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token.span,
            "a health check must be an `async fn`: write `async fn` here",
        );
    }
    if let Some(constness) = &sig.constness {
        cx.error(constness.span, "a health check cannot be a `const fn`");
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        cx.error(unsafety.span, "a health check cannot be an `unsafe fn`");
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned(abi, "a health check cannot declare an ABI");
    }
    if !sig.generics.params.is_empty() {
        let only_lifetimes = sig
            .generics
            .params
            .iter()
            .all(|param| matches!(param, GenericParam::Lifetime(_)));
        let message = if only_lifetimes {
            "a health check cannot have lifetime parameters: remove them and write its \
             parameters as plain `&T`, like `pool: &PgPool`"
        } else {
            "a health check cannot be generic: its resources are looked up by concrete type; \
             name the types (`&PgPool`) and remove the generic parameters"
        };
        cx.error_spanned(&sig.generics, message);
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned(where_clause, "a health check cannot have a `where` clause");
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned(variadic, "a health check cannot be variadic");
    }

    let resources = sig
        .inputs
        .iter()
        .filter_map(|input| resource(cx, input))
        .collect();
    let output_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    CheckSignature {
        resources,
        output_span,
    }
}

fn resource(cx: &mut Ctxt, input: &FnArg) -> Option<Resource> {
    let typed = match input {
        FnArg::Receiver(receiver) => {
            cx.error_spanned(
                receiver,
                "a health check is a free function and cannot take `self`; \
                 provide the value with `health.provide(...)` and take it as `&Type`",
            );
            return None;
        }
        FnArg::Typed(typed) => typed,
    };
    let binding_ok = match &*typed.pat {
        Pat::Ident(ident) => ident.by_ref.is_none() && ident.subpat.is_none(),
        Pat::Wild(_) => true,
        _ => false,
    };
    if !binding_ok {
        cx.error_spanned(
            &typed.pat,
            "a health check parameter must be a plain binding like `pool: &PgPool`",
        );
    }
    let Type::Reference(reference) = &*typed.ty else {
        cx.error_spanned(
            &typed.ty,
            format!(
                "a health check parameter must be a shared reference to a provided resource: \
                 write `&{}`",
                typed.ty.to_token_stream()
            ),
        );
        return None;
    };
    if let Some(mutability) = &reference.mutability {
        cx.error(
            mutability.span,
            "a health check parameter must be a shared reference `&T`, not `&mut T`: \
             checks run concurrently and share the resource",
        );
        return None;
    }
    if let Some(lifetime) = &reference.lifetime {
        cx.error_spanned(
            lifetime,
            "remove the lifetime: a health check parameter is a plain `&T`",
        );
        return None;
    }
    let ty = &*reference.elem;
    let unsized_hint = match ty {
        Type::ImplTrait(_) => Some("`impl Trait` makes the check generic"),
        Type::TraitObject(_) => Some("a trait object is not a concrete type"),
        Type::Slice(_) => Some("a slice is not a concrete type"),
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => {
            Some("`str` is not a concrete type")
        }
        _ => None,
    };
    if let Some(hint) = unsized_hint {
        cx.error_spanned(
            ty,
            format!(
                "a health check resource is looked up by its type and {hint}; \
                 provide a concrete type (for example `Arc<dyn Trait>` or `String`) and take \
                 `&` of it"
            ),
        );
        return None;
    }
    Some(Resource {
        ty: ty.clone(),
        display: display_type(ty),
    })
}

/// `Pool < Postgres >` as `Pool<Postgres>`.
fn display_type(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(' ', "")
        .replace(',', ", ")
        .replace("dyn", "dyn ")
}
