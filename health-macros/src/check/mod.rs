//! `#[health_check(...)]`: parse the arguments, validate them and the function, expand.

mod expand;
mod fallback;
pub(crate) mod parse;
mod place;
mod signature;
mod validate;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ItemFn;

use crate::ctxt::Ctxt;
use crate::{name, source};

/// `key_value_form`: the attribute was written `#[health_check = ...]`, whose value arrives
/// as `args`.
pub(crate) fn expand(args: TokenStream, item: TokenStream, key_value_form: bool) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return fallback::not_a_function(item);
    };
    let cx = Ctxt::new();
    remove_repeated_attribute(&cx, &mut function);
    let args = if key_value_form {
        fallback::key_value_form(&cx, args);
        parse::parse(&cx, TokenStream::new())
    } else {
        parse::parse(&cx, args)
    };
    let surroundings = source::of_call_site();
    let associated = surroundings
        .as_ref()
        .is_some_and(|surroundings| place::associated(&cx, surroundings, &function));
    let config = validate::validate(&cx, args, &function.sig.ident);
    let signature = signature::validate(&cx, &function.sig, associated);
    if let Some(surroundings) = &surroundings
        && !associated
        && name::accepts(&config.name)
    {
        place::duplicate(&cx, surroundings, &config, &function.sig.ident);
    }
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
