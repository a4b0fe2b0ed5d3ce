//! The code `#[health_check]` emits: the user's function as written (plus two lint
//! allowances), a hidden type under the function's name (so `health_routes!(checks = [f])`
//! can name it), and a descriptor in the link-time registry whose `run` calls into the
//! runtime.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{ItemFn, ReturnType};

use super::attr::Config;
use super::signature::CheckSignature;
use crate::name;

pub(crate) fn check(function: &ItemFn, config: &Config, signature: &CheckSignature) -> TokenStream {
    let ident = &function.sig.ident;
    let name = &config.name;
    let timeout_ms = config.timeout_ms;
    let critical = config.critical;
    let tags = &config.tags;
    let probes = config.probes.iter().map(|probe| {
        let variant = match *probe {
            "liveness" => quote!(Liveness),
            "startup" => quote!(Startup),
            _ => quote!(Readiness),
        };
        quote!(::health_runtime::__private::Probe::#variant)
    });

    // Two checks with one name in one module collide here, at the name's span.
    let unique = format_ident!(
        "__health_check_name_{}",
        name::ident_fragment(name),
        span = config.name_span
    );

    let args: Vec<_> = (0..signature.resources.len())
        .map(|i| format_ident!("__health_check_arg{i}"))
        .collect();
    let lookups = signature
        .resources
        .iter()
        .zip(&args)
        .map(|(resource, arg)| {
            let ty = &resource.ty;
            let display = &resource.display;
            quote! {
                let #arg = __health_check_lookup.require::<#ty>(__health_check_resources, #display);
            }
        });
    let unwrap = (!args.is_empty()).then(|| {
        quote! {
            let (#(::core::option::Option::Some(#args),)*) = (#(#args,)*) else {
                return __health_check_lookup.not_initialised();
            };
        }
    });
    // Spanned at the user's code. A future that is not `Send` is reported on the function's
    // name, by a check on the user's own future (so the compiler explains it as "future
    // returned by `f` is not `Send`", not as a generated async block). An unsupported return
    // type is reported on the whole return type, which is repeated as the explicit type
    // argument of `into_outcome`.
    let future = quote_spanned! {ident.span()=>
        __health_check_future_must_be_send(#ident(#(&#args),*))
    };
    let output_type = match &function.sig.output {
        ReturnType::Type(_, ty) if !mentions_impl_trait(ty.to_token_stream()) => quote!(::<#ty>),
        _ => TokenStream::new(),
    };
    let outcome = quote_spanned! {signature.output_span=>
        ::health_runtime::__private::into_outcome #output_type (#future.await)
    };
    let boxed = quote_spanned! {ident.span()=>
        ::health_runtime::__private::box_check
    };
    let source = quote_spanned! {ident.span()=>
        ::core::concat!(::core::file!(), ":", ::core::line!())
    };
    let hidden_type = hidden_type(function);
    // Spanned at the name, so that both definitions of a duplicate name are underlined.
    let unique_name = quote_spanned! {config.name_span=>
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const #unique: () = ();
    };

    quote! {
        // The shapes a check must have: `async` even without an `.await`, and `&Vec<T>`
        // rather than the `&[T]` clippy would suggest, since resources are looked up by type.
        #[allow(clippy::unused_async, clippy::ptr_arg)]
        #function

        #hidden_type

        #unique_name

        const _: () = {
            #[::health_runtime::__private::linkme::distributed_slice(
                ::health_runtime::__private::HEALTH_CHECKS
            )]
            #[linkme(crate = ::health_runtime::__private::linkme)]
            static __HEALTH_CHECK: ::health_runtime::__private::StaticCheck =
                ::health_runtime::__private::StaticCheck {
                    name: #name,
                    timeout_ms: #timeout_ms,
                    probes: ::health_runtime::__private::ProbeSet::of(&[#(#probes),*]),
                    critical: #critical,
                    tags: &[#(#tags),*],
                    source: #source,
                    run: __health_check_run,
                };

            fn __health_check_future_must_be_send<F>(future: F) -> F
            where
                F: ::core::future::Future + ::core::marker::Send,
            {
                future
            }

            #[allow(unused_variables, unused_mut)]
            fn __health_check_run(
                __health_check_resources: &::health_runtime::__private::Resources,
            ) -> ::health_runtime::__private::CheckFuture {
                let mut __health_check_lookup = ::health_runtime::__private::ResourceLookup::new();
                #(#lookups)*
                #boxed(async move {
                    #unwrap
                    #outcome
                })
            }

            impl ::health_runtime::__private::RegisteredCheck for #ident {
                fn descriptor() -> &'static ::health_runtime::__private::StaticCheck {
                    &__HEALTH_CHECK
                }
            }
        };
    }
}

/// What a check with mistakes expands to besides its errors: the user's function and, when
/// it can be declared here, the hidden type, so that only the real mistakes are reported
/// (`health_routes!(checks = [f])` and calls of `f` keep compiling).
pub(crate) fn stand_in(function: &ItemFn) -> TokenStream {
    let ident = &function.sig.ident;
    // A method is in an `impl` block, where no type can be declared.
    if function.sig.receiver().is_some() {
        return function.to_token_stream();
    }
    let hidden_type = hidden_type(function);
    quote! {
        #function

        #hidden_type

        impl ::health_runtime::__private::RegisteredCheck for #ident {
            fn descriptor() -> &'static ::health_runtime::__private::StaticCheck {
                ::core::unreachable!("a `#[health_check]` with errors never compiles")
            }
        }
    }
}

/// The type named like the function that `health_routes!(checks = [f])` refers to, spanned
/// at the function's name so that messages about it point there.
fn hidden_type(function: &ItemFn) -> TokenStream {
    let vis = &function.vis;
    let ident = &function.sig.ident;
    quote_spanned! {ident.span()=>
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}
    }
}

/// Whether a type contains `impl Trait`, which cannot be written as a type argument.
fn mentions_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl_trait(group.stream()),
        _ => false,
    })
}
