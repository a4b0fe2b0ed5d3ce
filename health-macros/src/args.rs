//! `key = value, ...` lists (the arguments of `#[health_check]`, the options of
//! `health_routes!`), parsed one comma-separated item at a time so that a syntax error in
//! one item is reported without hiding the mistakes in the others.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Token};

use crate::ctxt::Ctxt;
use crate::{print, suggest};

/// One `key = value`.
pub(crate) struct NamedArg {
    pub(crate) key: syn::Path,
    pub(crate) value: Expr,
}

impl NamedArg {
    pub(crate) fn key_name(&self) -> String {
        print::rust(&self.key)
    }
}

/// What one `key = value` list accepts, for parsing it and for its messages.
pub(crate) struct ListSpec {
    /// What one key is called: `argument` or `option`.
    pub(crate) kind: &'static str,
    /// `#[health_check]` or `health_routes!`.
    pub(crate) owner: &'static str,
    pub(crate) keys: &'static [&'static str],
    /// An accepted `key = value` for each key.
    pub(crate) example: fn(&str) -> &'static str,
    /// What to say about a value written without a key (`"redis"`).
    pub(crate) positional: fn(&Expr) -> String,
    /// What to say about an unknown key written alone (`health`, `redis`).
    pub(crate) bare: fn(&str) -> String,
}

impl ListSpec {
    /// "the arguments of `#[health_check]` are `name`, ... and `tags`".
    pub(crate) fn listing(&self) -> String {
        format!(
            "the {}s of `{}` are {}",
            self.kind,
            self.owner,
            suggest::list(self.keys)
        )
    }
}

/// Every well-formed `key = value` of `tokens`; each malformed item is reported.
pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream, spec: &ListSpec) -> Vec<NamedArg> {
    let mut args = Vec::new();
    for (segment, comma) in segments(tokens) {
        if segment.is_empty() {
            if let Some(comma) = comma {
                cx.error_spanned_by(
                    comma,
                    format!("unexpected `,`: write one {} between two commas", spec.kind),
                );
            }
            continue;
        }
        let parser = |input: ParseStream| items(cx, input, spec);
        match parser.parse2(segment) {
            Ok(items) => args.extend(items),
            Err(error) => cx.syn_error(error),
        }
    }
    args
}

/// The items between top-level commas, each with the comma after it. A trailing comma
/// leaves no empty item.
fn segments(tokens: TokenStream) -> Vec<(TokenStream, Option<TokenTree>)> {
    let mut segments = Vec::new();
    let mut current = TokenStream::new();
    for token in tokens {
        if matches!(&token, TokenTree::Punct(p) if p.as_char() == ',') {
            segments.push((std::mem::take(&mut current), Some(token)));
        } else {
            current.extend([token]);
        }
    }
    if !current.is_empty() {
        segments.push((current, None));
    }
    segments
}

/// The items between two commas: one, or more when a comma is missing between them, each
/// missing comma reported.
fn items(cx: &Ctxt, input: ParseStream, spec: &ListSpec) -> syn::Result<Vec<NamedArg>> {
    let mut items = Vec::new();
    items.extend(item(cx, input, spec)?);
    while !input.is_empty() {
        let next: TokenTree = input.fork().parse()?;
        cx.syn_error(syn::Error::new(
            next.span(),
            format!(
                "expected `,` before `{}`: {}s are separated by commas",
                print::rust(&next),
                spec.kind
            ),
        ));
        items.extend(item(cx, input, spec)?);
    }
    Ok(items)
}

fn item(cx: &Ctxt, input: ParseStream, spec: &ListSpec) -> syn::Result<Option<NamedArg>> {
    if input.peek(syn::Lit) || !(input.peek(syn::Ident) || input.peek(Token![::])) {
        let value: Expr = input.parse()?;
        cx.error_spanned_by(&value, (spec.positional)(&value));
        return Ok(None);
    }
    let key = input.call(syn::Path::parse_mod_style)?;
    let name = print::rust(&key);
    let known = spec.keys.contains(&name.as_str());
    if input.is_empty() {
        let message = if known {
            format!("`{name}` needs a value, like `{}`", (spec.example)(&name))
        } else {
            (spec.bare)(&name)
        };
        cx.error_spanned_by(&key, message);
        return Ok(None);
    }
    if input.peek(Token![=]) && !input.peek(Token![==]) {
        let eq: Token![=] = input.parse()?;
        if input.is_empty() {
            let example = if known {
                (spec.example)(&name)
            } else {
                "key = value"
            };
            cx.error_spanned_by(
                quote::quote!(#key #eq),
                format!("`{name} =` needs a value after `=`, like `{example}`"),
            );
            return Ok(None);
        }
        let value = input.parse()?;
        return Ok(Some(NamedArg { key, value }));
    }
    misspelt_separator(cx, input, &key, spec)?;
    Ok(None)
}

/// `name: "x"` and `name("x")`: what to write instead.
fn misspelt_separator(
    cx: &Ctxt,
    input: ParseStream,
    key: &syn::Path,
    spec: &ListSpec,
) -> syn::Result<()> {
    let name = print::rust(key);
    let value: Option<TokenStream> = if input.peek(Token![:]) && !input.peek(Token![::]) {
        input.parse::<Token![:]>()?;
        Some(input.parse()?)
    } else if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        Some(content.parse()?)
    } else {
        None
    };
    let Some(value) = value else {
        return Err(input.error(format!(
            "expected `=` after `{name}`, like `{}`",
            (spec.example)(&name)
        )));
    };
    let written = quote::quote!(#key #value);
    let fix = if value.is_empty() {
        (spec.example)(&name).to_owned()
    } else {
        format!("{name} = {}", print::rust(&value))
    };
    cx.error_spanned_by(
        written.into_token_stream(),
        format!("{}s are written `key = value`: write `{fix}`", spec.kind),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::segments;

    #[test]
    fn items_between_commas() {
        let count = |tokens| segments(tokens).len();
        assert_eq!(count(quote!()), 0);
        assert_eq!(count(quote!(a = 1)), 1);
        assert_eq!(count(quote!(a = 1,)), 1);
        assert_eq!(count(quote!(,)), 1);
        assert_eq!(count(quote!(a = [1, 2], b = 3)), 2);
        // An empty item is kept, to be reported at the comma after it.
        assert_eq!(count(quote!(a = 1,, b = 2)), 3);
        assert!(segments(quote!(a = 1,, b = 2))[1].0.is_empty());
    }
}
