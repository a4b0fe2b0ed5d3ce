//! `#[health_check(...)]`: parse the arguments and the function, validate, expand.

pub(crate) mod attr;
mod expand;
mod signature;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let message = "`#[health_check]` applies to an `async fn`";
            let mut tokens = syn::Error::new(error.span(), message).into_compile_error();
            tokens.extend(item);
            return tokens;
        }
    };
    let mut cx = Ctxt::default();
    let args = attr::parse(&mut cx, args);
    // Mistakes in the attribute first, then in the function: the order they are read in.
    let config = attr::resolve(&mut cx, args, &function.sig.ident);
    let signature = signature::validate(&mut cx, &function.sig);
    if cx.has_errors() {
        let mut tokens = cx.into_compile_errors();
        tokens.extend(expand::stand_in(&function));
        return tokens;
    }
    expand::check(&function, &config, &signature)
}
