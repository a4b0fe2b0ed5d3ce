//! `health_routes!(handle, options...)`: parse, validate at compile time, expand to a call
//! of `Health::router_with`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::check::attr::set_keyed;
use crate::ctxt::Ctxt;
use crate::lit::{self, Sp};
use crate::{name, suggest};

const OPTIONS: &[&str] = &["liveness", "readiness", "startup", "checks", "tags"];

struct Input {
    handle: Option<Expr>,
    options: Punctuated<Opt, Token![,]>,
}

struct Opt {
    key: Ident,
    value: Expr,
}

impl Parse for Opt {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!(
                    "expected an option like `readiness = \"/ready\"`; the options of \
                     `health_routes!` are {}",
                    suggest::list(OPTIONS)
                ),
            )
        })?;
        if !input.peek(Token![=]) {
            let name = key.to_string();
            let message = match example(&name) {
                Some(example) => format!("option `{name}` needs a value, like `{example}`"),
                None => format!(
                    "expected `option = value`, found `{name}`; the handle, if any, comes \
                     first: `health_routes!(health, readiness = \"/ready\")`"
                ),
            };
            return Err(syn::Error::new(key.span(), message));
        }
        input.parse::<Token![=]>()?;
        Ok(Opt {
            key,
            value: input.parse()?,
        })
    }
}

fn example(option: &str) -> Option<&'static str> {
    Some(match option {
        "liveness" => "liveness = \"/health\"",
        "readiness" => "readiness = \"/health/ready\"",
        "startup" => "startup = \"/health/started\"",
        "checks" => "checks = [postgres, redis]",
        "tags" => "tags = [\"db\"]",
        _ => return None,
    })
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let options_first = input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]);
        let handle = if input.is_empty() || options_first {
            None
        } else {
            let handle = input.parse()?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
            Some(handle)
        };
        Ok(Input {
            handle,
            options: Punctuated::parse_terminated(input)?,
        })
    }
}

#[derive(Default)]
struct Options {
    liveness: Option<Sp<String>>,
    readiness: Option<Sp<String>>,
    startup: Option<Sp<String>>,
    checks: Option<Vec<syn::Path>>,
    tags: Option<Vec<Sp<String>>>,
}

pub(crate) fn expand(tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let mut cx = Ctxt::default();
    let options = parse_options(&mut cx, &input.options);
    validate(&mut cx, &options);
    if cx.has_errors() {
        let errors = cx.into_compile_errors();
        // An expression of the expected type, so that only the real mistakes are reported.
        return quote! {{ #errors ::health_runtime::__private::Health::global().router() }};
    }
    expand_call(input.handle.as_ref(), &options)
}

fn parse_options(cx: &mut Ctxt, options: &Punctuated<Opt, Token![,]>) -> Options {
    let mut parsed = Options::default();
    let mut errors = Vec::new();
    for opt in options {
        let path = syn::Path::from(opt.key.clone());
        let errors = &mut errors;
        let key = opt.key.to_string();
        let example = example(&key).unwrap_or_default();
        match key.as_str() {
            "liveness" => {
                let value = lit::string(&opt.value, example);
                set_keyed(&mut parsed.liveness, &path, value, errors, "option");
            }
            "readiness" => {
                let value = lit::string(&opt.value, example);
                set_keyed(&mut parsed.readiness, &path, value, errors, "option");
            }
            "startup" => {
                let value = lit::string(&opt.value, example);
                set_keyed(&mut parsed.startup, &path, value, errors, "option");
            }
            "checks" => {
                let value = check_paths(&opt.value);
                set_keyed(&mut parsed.checks, &path, value, errors, "option");
            }
            "tags" => {
                let value = lit::strings(&opt.value, false, example);
                set_keyed(&mut parsed.tags, &path, value, errors, "option");
            }
            key => errors.push(syn::Error::new(
                opt.key.span(),
                format!(
                    "unknown option `{key}`; {}the options of `health_routes!` are {}",
                    suggest::did_you_mean(key, OPTIONS),
                    suggest::list(OPTIONS)
                ),
            )),
        }
    }
    for error in errors {
        cx.syn_error(error);
    }
    parsed
}

fn check_paths(value: &Expr) -> syn::Result<Vec<syn::Path>> {
    let Expr::Array(array) = value else {
        return Err(syn::Error::new(
            value.span(),
            "expected a list of `#[health_check]` functions, like `checks = [postgres, redis]`",
        ));
    };
    array
        .elems
        .iter()
        .map(|elem| match elem {
            Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
            other => Err(syn::Error::new(
                other.span(),
                "expected the path of a `#[health_check]` function, like `postgres` or `checks::redis`",
            )),
        })
        .collect()
}

fn validate(cx: &mut Ctxt, options: &Options) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let probes = [
        ("liveness", &options.liveness),
        ("readiness", &options.readiness),
        ("startup", &options.startup),
    ];
    for (probe, path) in probes {
        let Some(path) = path else { continue };
        if let Some(problem) = path_problem(&path.value) {
            cx.error(
                path.span,
                format!("invalid {probe} path `{}`: {problem}", path.value),
            );
        } else if let Some((other, _)) = seen.iter().find(|(_, p)| *p == path.value) {
            cx.error(
                path.span,
                format!(
                    "`{}` is already the {other} path; each probe needs its own path",
                    path.value
                ),
            );
        }
        seen.push((probe, &path.value));
    }
    // The defaults may collide with a custom path too.
    for (probe, default) in [
        ("liveness", "/health"),
        ("readiness", "/health/ready"),
        ("startup", "/health/started"),
    ] {
        if seen.iter().any(|(p, _)| *p == probe) {
            continue;
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == default) {
            let span = probes
                .iter()
                .find(|(p, _)| p == other)
                .and_then(|(_, path)| path.as_ref())
                .map_or_else(Span::call_site, |path| path.span);
            cx.error(
                span,
                format!("`{default}` is the default {probe} path; set `{probe} = \"...\"` too or choose another path"),
            );
        }
    }

    if let Some(checks) = &options.checks {
        for (i, check) in checks.iter().enumerate() {
            let text = check.to_token_stream().to_string();
            if checks[..i]
                .iter()
                .any(|c| c.to_token_stream().to_string() == text)
            {
                cx.error_spanned(
                    check,
                    format!("`{}` is listed twice", text.replace(' ', "")),
                );
            }
        }
    }
    let mut tags: Vec<&str> = Vec::new();
    for tag in options.tags.iter().flatten() {
        if let Some(problem) = name::problem(&tag.value) {
            cx.error(
                tag.span,
                format!(
                    "invalid tag `{}`: {problem}{}",
                    tag.value,
                    name::write_instead(&tag.value)
                ),
            );
        } else if tags.contains(&tag.value.as_str()) {
            cx.error(tag.span, format!("tag `{}` is listed twice", tag.value));
        }
        tags.push(&tag.value);
    }
}

/// Why `path` cannot be a probe's route, with the path to write instead when it is clear.
fn path_problem(path: &str) -> Option<String> {
    let literal = !path.contains(['{', '}', '*', '?', '#', ' ']);
    let fixed = format!(
        "/{}",
        path.split('/')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    );
    let (problem, fix) = if !path.starts_with('/') {
        ("a route path must start with `/`", literal)
    } else if !literal {
        (
            "a health route path is literal: no `{`, `}`, `*`, `?`, `#` or spaces",
            false,
        )
    } else if path.len() > 1 && path.ends_with('/') {
        ("a route path must not end with `/`", true)
    } else if path.contains("//") {
        ("a route path must not contain an empty segment `//`", true)
    } else {
        return None;
    };
    Some(if fix && fixed != "/" {
        format!("{problem}; write `{fixed}`")
    } else {
        problem.to_owned()
    })
}

fn expand_call(handle: Option<&Expr>, options: &Options) -> TokenStream {
    let handle = match handle {
        Some(handle) => quote_spanned!(handle.span()=> &(#handle)),
        None => quote!(::health_runtime::__private::Health::global()),
    };
    let mut calls = TokenStream::new();
    for (method, path) in [
        (quote!(liveness_path), &options.liveness),
        (quote!(readiness_path), &options.readiness),
        (quote!(startup_path), &options.startup),
    ] {
        if let Some(path) = path {
            let value = &path.value;
            calls.extend(quote!(.#method(#value)));
        }
    }
    if let Some(checks) = &options.checks {
        // A qualified path, so that a plain function listed by mistake reads "expected type,
        // found function" and a type that is not a check gets `RegisteredCheck`'s message.
        let descriptors = checks.iter().map(|check| {
            quote_spanned! {check.span()=>
                <#check as ::health_runtime::__private::RegisteredCheck>::descriptor()
            }
        });
        calls.extend(quote!(.only([#(#descriptors),*])));
    }
    if let Some(tags) = &options.tags {
        let tags = tags.iter().map(|tag| &tag.value);
        calls.extend(quote!(.tags([#(#tags),*])));
    }
    quote! {
        ::health_runtime::__private::routes(
            #handle,
            ::health_runtime::__private::RouteOptions::new() #calls,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::path_problem;

    #[test]
    fn valid_paths() {
        for path in ["/", "/health", "/health/ready", "/-/ready.v2"] {
            assert_eq!(path_problem(path), None, "{path}");
        }
    }

    #[test]
    fn fixable_paths_say_what_to_write() {
        let problem = |path| path_problem(path).unwrap();
        assert!(problem("ready").ends_with("write `/ready`"));
        assert!(problem("/ready/").ends_with("write `/ready`"));
        assert!(problem("/health//ready").ends_with("write `/health/ready`"));
        assert!(!problem("/health/{name}").contains("write"));
    }
}
