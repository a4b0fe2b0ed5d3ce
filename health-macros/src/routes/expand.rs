//! The code `health_routes!` emits: one call into the runtime with the options, or, after
//! errors, an expression of the same type, so that only the real mistakes are reported.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::validate::Routes;
use crate::print;

pub(crate) fn router(routes: &Routes) -> TokenStream {
    let handle = quote!(__health_check_handle);
    let options = options(routes);
    let router = match &routes.checks {
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
                    {
                        <_ as ::health_runtime::__private::CheckFunction<_>>::assert(&#check);
                        ::health_runtime::__private::listed(#check, #written)
                    }
                }
            });
            quote! {
                ::health_runtime::__private::routes_of(#handle, #options, &[#(#listed),*])
            }
        }
    };
    with_handle(routes, router)
}

/// `router` with `__health_check_handle` bound to the handle given, by reference, or to the
/// process-wide one. The handle is converted to `&Health` as a `let` with that type, at the
/// user's expression, so that a handle of another type is one error there ("expected
/// `&Health`"); the `match` keeps a temporary handle (`Health::new()`) alive for the call.
fn with_handle(routes: &Routes, router: TokenStream) -> TokenStream {
    match &routes.handle {
        Some(handle) => {
            let typed = quote_spanned! {handle.span()=>
                let __health_check_handle: &::health_runtime::__private::Health =
                    __health_check_handle;
            };
            quote! {
                match &(#handle) {
                    __health_check_handle => {
                        #typed
                        #router
                    }
                }
            }
        }
        None => quote! {{
            let __health_check_handle = ::health_runtime::__private::Health::global();
            #router
        }},
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
    // The listed functions stay used, so that a mistake elsewhere adds no warning.
    let listed = routes.checks.iter().flatten();
    let router = quote! {
        ::health_runtime::__private::routes(
            __health_check_handle,
            ::health_runtime::__private::RouteOptions::new(),
        )
    };
    let router = with_handle(routes, router);
    quote! {{
        #errors
        let _ = (#(#listed,)*);
        #router
    }}
}
