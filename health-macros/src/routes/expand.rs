//! The code `health_routes!` emits: one call into the runtime with the options, or, after
//! errors, an expression of the same type, so that only the real mistakes are reported.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::validate::Routes;
use crate::print;

pub(crate) fn router(routes: &Routes) -> TokenStream {
    let handle = handle(routes);
    let options = options(routes);
    match &routes.checks {
        None => quote! {
            ::health_runtime::__private::routes(#handle, #options)
        },
        Some(checks) => {
            // Each function is passed as a value, spanned at the user's path, so that an
            // undefined or private function gets the compiler's own error naming it, and a
            // value that is not a function gets `CheckFunction`'s message.
            let listed = checks.iter().map(|check| {
                let written = print::rust(check);
                quote_spanned! {check.span()=>
                    ::health_runtime::__private::listed(#check, #written)
                }
            });
            quote! {
                ::health_runtime::__private::routes_of(#handle, #options, &[#(#listed),*])
            }
        }
    }
}

/// The handle given, by reference, or the process-wide one.
fn handle(routes: &Routes) -> TokenStream {
    match &routes.handle {
        Some(handle) => quote_spanned!(handle.span()=> &(#handle)),
        None => quote!(::health_runtime::__private::Health::global()),
    }
}

fn options(routes: &Routes) -> TokenStream {
    let mut calls = TokenStream::new();
    for (probe, path) in &routes.paths {
        let method = quote::format_ident!("{probe}_path");
        calls.extend(quote!(.#method(#path)));
    }
    if let Some(tags) = &routes.tags {
        calls.extend(quote!(.tags([#(#tags),*])));
    }
    quote!(::health_runtime::__private::RouteOptions::new() #calls)
}

pub(crate) fn fallback(routes: &Routes, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    let handle = handle(routes);
    // The listed functions stay used, so that a mistake elsewhere adds no warning.
    let listed = routes.checks.iter().flatten();
    quote! {{
        #errors
        let _ = (#(#listed,)*);
        ::health_runtime::__private::routes(#handle, ::health_runtime::__private::RouteOptions::new())
    }}
}
