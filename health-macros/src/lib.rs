//! Procedural macros of [`health-runtime`](https://docs.rs/health-runtime). Depend on
//! `health-runtime`, which re-exports them; the generated code names only
//! `::health_runtime::` paths.

mod args;
mod check;
mod ctxt;
mod duration;
mod name;
mod once;
mod print;
mod routes;
mod source;
mod suggest;
mod value;

use proc_macro::TokenStream;

/// Registers an `async fn` as a health check. See `health_runtime::health_check`.
#[proc_macro_attribute]
pub fn health_check(args: TokenStream, item: TokenStream) -> TokenStream {
    check::expand(args.into(), item.into(), key_value_form()).into()
}

/// Builds the router of the health endpoints. See `health_runtime::health_routes`.
#[proc_macro]
pub fn health_routes(input: TokenStream) -> TokenStream {
    routes::expand(input.into()).into()
}

/// Whether the attribute was written `#[health_check = ...]`, which reaches the macro with
/// the same arguments as `#[health_check(...)]` (and an error of the compiler's own).
fn key_value_form() -> bool {
    let Some(text) = proc_macro::Span::call_site().source_text() else {
        return false;
    };
    let inside = text
        .trim_start_matches('#')
        .trim_start()
        .trim_start_matches('[');
    let after_path =
        inside.trim_start_matches(|c: char| c.is_alphanumeric() || "_: \t\n".contains(c));
    after_path.starts_with('=')
}
