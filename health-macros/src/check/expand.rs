//! The code `#[health_check]` emits: the user's function untouched, a hidden type under
//! the function's name (so `health_routes!(checks = [f])` can name it), and a descriptor
//! in the link-time registry whose `run` calls into the runtime.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ItemFn;

use super::attr::Config;
use super::signature::CheckSignature;
use crate::name;

pub(crate) fn check(function: &ItemFn, config: &Config, signature: &CheckSignature) -> TokenStream {
    let vis = &function.vis;
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
    let lookups = signature.resources.iter().zip(&args).map(|(resource, arg)| {
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
    // Spanned at the user's code: an unsupported return type is reported on the return
    // type, a future that is not `Send` on the function's name.
    let outcome = quote_spanned! {signature.output_span=>
        ::health_runtime::__private::into_outcome(#ident(#(&#args),*).await)
    };
    let boxed = quote_spanned! {ident.span()=>
        ::health_runtime::__private::box_check
    };
    let source = quote_spanned! {ident.span()=>
        ::core::concat!(::core::file!(), ":", ::core::line!())
    };

    quote! {
        #function

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}

        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const #unique: () = ();

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
