//! `health_routes!(handle, options...)`: parse, validate at compile time, expand to a call
//! into the runtime.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

pub(crate) fn expand(tokens: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let input = parse::parse(&cx, tokens);
    let routes = validate::validate(&cx, input);
    match cx.check() {
        Ok(()) => expand::router(&routes),
        Err(errors) => expand::fallback(&routes, errors),
    }
}
