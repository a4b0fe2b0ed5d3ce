//! The code `#[health_check]` emits: the user's function as written, and one item named
//! after the check's name that holds its descriptor in the link-time registry, whose `run`
//! calls into the runtime. Every generated name carries the `__health_check_` prefix;
//! none is a name the user wrote.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ItemFn, ReturnType};

use super::signature::CheckSignature;
use super::validate::Config;
use crate::name;

pub(crate) fn check(function: &ItemFn, config: &Config, signature: &CheckSignature) -> TokenStream {
    let cfg = cfg_attributes(&function.attrs);
    let descriptor = descriptor(function, config);
    let run = run(function, signature);
    // The registration is one item named after the check's name, so that two checks of
    // one name in one module collide (the error underlines both names). It is a struct,
    // which Rust allows only outside `impl` and `trait` blocks, so that the attribute on an
    // associated function is one error ("struct is not supported in `trait`s or `impl`s",
    // with the advice to move it to a module) instead of errors about what it contains.
    let unique = format_ident!(
        "__health_check_name_{}",
        name::ident_fragment(&config.name),
        span = config.name_span
    );
    let registration = quote_spanned! {config.name_span=>
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        struct #unique([(); {
            #descriptor
            #run
            0
        }]);
    };
    quote! {
        // The shapes a check must have: `async` even without an `.await`, and `&Vec<T>`
        // rather than the `&[T]` clippy would suggest, since resources are looked up by type.
        #[allow(clippy::unused_async, clippy::ptr_arg)]
        #function

        #(#cfg)*
        #registration
    }
}

fn descriptor(function: &ItemFn, config: &Config) -> TokenStream {
    let ident = &function.sig.ident;
    let Config {
        name,
        timeout_ms,
        critical,
        tags,
        failures,
        successes,
        ..
    } = config;
    let probes = config.probes.iter().map(|probe| {
        let variant = match *probe {
            "liveness" => quote!(Liveness),
            "startup" => quote!(Startup),
            _ => quote!(Readiness),
        };
        quote!(::health_runtime::__private::Probe::#variant)
    });
    let source = quote_spanned! {ident.span()=>
        ::core::concat!(::core::file!(), ":", ::core::line!())
    };
    quote! {
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
                failures: #failures,
                successes: #successes,
                run: __health_check_run,
                function: ::health_runtime::__private::type_id_of(#ident),
            };
    }
}

/// One run: look every resource up, report the missing ones, else await the user's
/// function and convert what it returns.
fn run(function: &ItemFn, signature: &CheckSignature) -> TokenStream {
    let ident = &function.sig.ident;
    let (args, lookups, unwrap) = resource_lookups(signature);
    // Spanned at the user's code: a future that is not `Send` is reported on the
    // function's name by a check of the user's own future (so the compiler explains it as
    // "future returned by `f` is not `Send`"), and an unsupported return type on the
    // return type, repeated as the explicit type argument of `into_outcome`.
    let output = quote_spanned! {ident.span()=>
        let __health_check_output = __health_check_future_must_be_send(#ident(#(&#args),*)).await;
    };
    let output_type = match &function.sig.output {
        ReturnType::Type(_, ty) if !mentions_impl(ty.to_token_stream()) => quote!(::<#ty>),
        _ => TokenStream::new(),
    };
    let outcome = quote_spanned! {signature.output_span=>
        ::health_runtime::__private::into_outcome #output_type (__health_check_output)
    };
    let boxed = quote_spanned! {ident.span()=>
        ::health_runtime::__private::box_check(async move {
            #unwrap
            #output
            #outcome
        })
    };
    quote! {
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
            #[allow(unused_imports)]
            use ::health_runtime::__private::{RequireShareable as _, RequireUnshareable as _};
            let mut __health_check_lookup = ::health_runtime::__private::ResourceLookup::new();
            #lookups
            #boxed
        }
    }
}

/// The variables of the resources, the code that looks them up, and the code that
/// reports the missing ones.
fn resource_lookups(signature: &CheckSignature) -> (Vec<syn::Ident>, TokenStream, TokenStream) {
    // Each resource's variable is spanned at its type, so that a resource that cannot be
    // sent between threads is explained at the parameter that takes it.
    let args: Vec<_> = signature
        .resources
        .iter()
        .enumerate()
        .map(|(i, resource)| format_ident!("__health_check_arg{i}", span = resource.ty.span()))
        .collect();
    let lookups = signature
        .resources
        .iter()
        .zip(&args)
        .map(|(resource, arg)| {
            let (ty, display) = (&resource.ty, &resource.display);
            quote! {
                let #arg = (&::health_runtime::__private::Resource::<#ty>::new())
                    .require(&mut __health_check_lookup, __health_check_resources, #display);
            }
        });
    let lookups = quote!(#(#lookups)*);
    let unwrap = if args.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            let (#(::core::option::Option::Some(#args),)*) = (#(#args,)*) else {
                return __health_check_lookup.not_initialised();
            };
        }
    };
    (args, lookups, unwrap)
}

/// Whether a type contains `impl Trait`, which cannot be written as a type argument.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// The function's `#[cfg]`s, and the `cfg` parts of its `#[cfg_attr]`s, for the generated
/// items: a check compiled out leaves no registration behind. (The compiler evaluates a
/// function's `cfg`s before it expands `#[health_check]`, in either order of the
/// attributes; this keeps the generated items right should one reach the macro.)
pub(crate) fn cfg_attributes(attrs: &[Attribute]) -> Vec<TokenStream> {
    attrs
        .iter()
        .filter_map(|attr| {
            let path = attr.path();
            if path.is_ident("cfg") {
                Some(attr.to_token_stream())
            } else if path.is_ident("cfg_attr") {
                let list = attr.meta.require_list().ok()?;
                cfg_parts(list.tokens.clone()).map(|kept| quote!(#[cfg_attr(#kept)]))
            } else {
                None
            }
        })
        .collect()
}

/// `predicate, cfg(...)` from `predicate, cfg(...), other(...)`; `None` without a `cfg`.
fn cfg_parts(tokens: TokenStream) -> Option<TokenStream> {
    use syn::punctuated::Punctuated;
    let parser = Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
    let metas = syn::parse::Parser::parse2(parser, tokens).ok()?;
    let mut metas = metas.into_iter();
    let predicate = metas.next()?;
    let kept: Vec<TokenStream> = metas
        .filter_map(|meta| {
            if meta.path().is_ident("cfg") {
                Some(meta.to_token_stream())
            } else if meta.path().is_ident("cfg_attr") {
                let list = meta.require_list().ok()?;
                cfg_parts(list.tokens.clone()).map(|kept| quote!(cfg_attr(#kept)))
            } else {
                None
            }
        })
        .collect();
    (!kept.is_empty()).then(|| quote!(#predicate, #(#kept),*))
}
