//! `#[health_check(...)]`: parse the arguments and the function, validate, expand.

pub(crate) mod attr;
mod expand;
mod signature;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ctxt::Ctxt;

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
    let signature = signature::validate(&mut cx, &function.sig);
    let config = attr::resolve(&mut cx, args, &function.sig.ident);
    if cx.has_errors() {
        // Keep the user's function so that only the real mistakes are reported.
        let mut tokens = cx.into_compile_errors();
        function.to_tokens(&mut tokens);
        return tokens;
    }
    expand::check(&function, &config, &signature)
}
