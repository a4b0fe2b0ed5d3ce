//! `#[health_check(...)]`: parse the arguments, validate them and the function, expand.

mod expand;
mod fallback;
pub(crate) mod parse;
mod signature;
mod validate;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ItemFn;

use crate::ctxt::Ctxt;

/// `key_value_form`: the attribute was written `#[health_check = ...]`, which the compiler
/// reports itself.
pub(crate) fn expand(args: TokenStream, item: TokenStream, key_value_form: bool) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return fallback::not_a_function(item);
    };
    if key_value_form {
        return fallback::key_value_form(&function, args);
    }
    let cx = Ctxt::new();
    remove_repeated_attribute(&cx, &mut function);
    let args = parse::parse(&cx, args);
    // Mistakes in the attribute first, then in the function: the order they are read in.
    let config = validate::validate(&cx, args, &function.sig.ident);
    let signature = signature::validate(&cx, &function.sig);
    match cx.check() {
        Ok(()) => expand::check(&function, &config, &signature),
        Err(errors) => fallback::expand(&function, errors),
    }
}

/// A second `#[health_check]` on the same function is reported here, once, and dropped, so
/// that it neither registers the function twice nor reports the same mistakes again.
fn remove_repeated_attribute(cx: &Ctxt, function: &mut ItemFn) {
    let ident = function.sig.ident.clone();
    function.attrs.retain(|attr| {
        let repeated = attr
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "health_check");
        if repeated {
            cx.error_spanned_by(
                attr.to_token_stream(),
                format!("`#[health_check]` is applied twice to `{ident}`; remove one"),
            );
        }
        !repeated
    });
}
