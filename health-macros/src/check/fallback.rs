//! What `#[health_check]` emits when it reports errors: the errors and the user's item as
//! written, so that the rest of the program keeps compiling (calls of the function, a
//! `health_routes!(checks = [f])` naming it) and only the real mistakes are reported.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ItemFn;

use crate::ctxt::Ctxt;

pub(crate) fn expand(function: &ItemFn, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    // The function as written, less what the compiler would report a second time: a
    // `const async fn` is already reported as not a plain `async fn`.
    let mut function = function.clone();
    if function.sig.asyncness.is_some() {
        function.sig.constness = None;
    }
    quote! {
        #errors
        // Unused now that it registers nothing: say so once, through the error, not again
        // as a warning.
        #[allow(dead_code)]
        #function
    }
}

/// `#[health_check = "..."]`. The compiler reports that form itself ("key-value macro
/// attributes are not supported") before the macro runs, without saying what to write;
/// this error, on the value, does.
pub(crate) fn key_value_form(cx: &Ctxt, args: TokenStream) {
    let fix = match syn::parse2::<syn::LitStr>(args.clone()) {
        Ok(name) if crate::name::accepts(&name.value()) => {
            format!("`#[health_check(name = {:?})]`", name.value())
        }
        _ => "`#[health_check(name = \"postgres\", timeout_ms = 2000)]`".to_owned(),
    };
    cx.error_spanned_by(
        args,
        format!("the arguments of `#[health_check]` are written in parentheses: write {fix}"),
    );
}

/// The error for an item that is not a function, naming what it is.
pub(crate) fn not_a_function(item: TokenStream) -> TokenStream {
    let (spanned, what) = if let Ok(method) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        (
            method.sig.to_token_stream(),
            "a trait method without a body",
        )
    } else {
        match syn::parse2::<syn::Item>(item.clone()) {
            Ok(syn::Item::Struct(s)) => {
                let (token, ident) = (&s.struct_token, &s.ident);
                (quote!(#token #ident), "a struct")
            }
            Ok(item) => (item_head(&item), what_item(&item)),
            Err(_) => (item.clone(), "this item"),
        }
    };
    let error = syn::Error::new_spanned(
        spanned,
        format!("a health check must be a free `async fn`; `#[health_check]` cannot be applied to {what}"),
    )
    .into_compile_error();
    quote!(#error #item)
}

/// The tokens that say what an item is, up to its name: `enum Probe`, `const X`.
fn item_head(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Enum(e) => {
            let (token, ident) = (&e.enum_token, &e.ident);
            quote!(#token #ident)
        }
        syn::Item::Const(c) => {
            let (token, ident) = (&c.const_token, &c.ident);
            quote!(#token #ident)
        }
        syn::Item::Static(s) => {
            let (token, ident) = (&s.static_token, &s.ident);
            quote!(#token #ident)
        }
        syn::Item::Mod(m) => {
            let (token, ident) = (&m.mod_token, &m.ident);
            quote!(#token #ident)
        }
        syn::Item::Impl(i) => {
            let (token, ty) = (&i.impl_token, &i.self_ty);
            quote!(#token #ty)
        }
        other => other.to_token_stream(),
    }
}

fn what_item(item: &syn::Item) -> &'static str {
    match item {
        syn::Item::Enum(_) => "an enum",
        syn::Item::Const(_) => "a constant",
        syn::Item::Static(_) => "a static",
        syn::Item::Mod(_) => "a module",
        syn::Item::Impl(_) => "an `impl` block",
        syn::Item::Trait(_) => "a trait",
        _ => "this item",
    }
}
