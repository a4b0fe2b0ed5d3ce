//! The code `#[health_check]` emits: the user's function as written, and beside it an
//! unnamed `const _` holding its descriptor in the link-time registry, whose `run` calls
//! into the runtime. Every generated name carries the `__health_check_` prefix and lives
//! inside that block; none is a name the user wrote.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

use super::signature::CheckSignature;
use super::validate::Config;

pub(crate) fn check(function: &ItemFn, config: &Config, signature: &CheckSignature) -> TokenStream {
    let cfg = cfg_attributes(&function.attrs);
    let descriptor = descriptor(function, config);
    let run = run(function, signature);
    quote! {
        // The shapes a check must have: `async` even without an `.await`, and `&Vec<T>`
        // rather than the `&[T]` clippy would suggest, since resources are looked up by type.
        #[allow(clippy::unused_async, clippy::ptr_arg)]
        #function

        #(#cfg)*
        const _: () = {
            #descriptor
            #run
        };
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
/// function and convert what it returns. Each rule on the user's types is asserted once,
/// spanned at the user's token; the code around the assertions compiles whether they hold
/// or not (see `__private`), so that a broken rule is one error.
fn run(function: &ItemFn, signature: &CheckSignature) -> TokenStream {
    let ident = &function.sig.ident;
    let (args, lookups, unwrap) = resource_lookups(signature);
    let resource_types: Vec<&syn::Type> = signature.resources.iter().map(|r| &r.ty).collect();
    let shareable = resource_types.iter().map(|ty| {
        quote_spanned! {ty.span()=>
            <#ty as ::health_runtime::__private::SharedResource>::assert();
        }
    });
    let returned = returned_type(&function.sig.output);
    // Spanned at the function's name: the compiler explains a future that is not `Send` as
    // "future returned by `f` is not `Send`", with the value held across an `.await`.
    let call = quote_spanned! {ident.span()=>
        let __health_check_future = #ident(#(&*#args),*);
        <_ as ::health_runtime::__private::SendFuture>::assert(
            (&::health_runtime::__private::ResourceGate::<(#(#resource_types,)*)>::new())
                .future(&__health_check_future),
        );
    };
    quote! {
        #[allow(unused_variables, unused_mut)]
        fn __health_check_run(
            __health_check_resources: &::health_runtime::__private::Resources,
        ) -> ::health_runtime::__private::CheckFuture {
            #[allow(unused_imports)]
            use ::health_runtime::__private::{
                ConvertSupported as _, ConvertUnsupported as _, GateShareable as _,
                GateUnshareable as _, PassSend as _, PassUnsend as _, RequireShareable as _,
                RequireUnshareable as _,
            };
            #(#shareable)*
            #returned
            let mut __health_check_lookup = ::health_runtime::__private::ResourceLookup::new();
            #lookups
            ::health_runtime::__private::box_check(async move {
                #unwrap
                #call
                let __health_check_output = (&::health_runtime::__private::SendGate::of(
                    &__health_check_future,
                ))
                .pass(__health_check_future)
                .await;
                (&::health_runtime::__private::Returned::of(&__health_check_output))
                    .outcome(__health_check_output)
            })
        }
    }
}

/// The assertions on the declared return type, each at the type it is about: `T` and `E`
/// of a `Result<T, E>` written as such, else the whole type. `()` needs none, and the
/// shapes the macro rejects itself (`impl Trait`) never get here.
fn returned_type(output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else {
        return TokenStream::new();
    };
    match result_parts(ty) {
        Some((ok, err)) => quote_spanned! {ty.span()=>
            <#ty as ::health_runtime::__private::ReturnedResult>::assert();
        }
        .into_iter()
        .chain(quote_spanned! {ok.span()=>
            <#ok as ::health_runtime::__private::ReportedDetails>::assert();
        })
        .chain(quote_spanned! {err.span()=>
            <#err as ::health_runtime::__private::ReportedError>::assert();
        })
        .collect(),
        None => quote_spanned! {ty.span()=>
            let _ = <#ty as ::health_runtime::__private::IntoCheckOutcome>::into_check_outcome;
        },
    }
}

/// `T` and `E` of a type written `Result<T, E>` (any path ending in `Result`).
pub(crate) fn result_parts(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Type(ok), GenericArgument::Type(err)] => Some((ok, err)),
        _ => None,
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
