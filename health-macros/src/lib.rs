//! Procedural macros of [`health-runtime`](https://docs.rs/health-runtime). Depend on
//! `health-runtime`, which re-exports them; the generated code names only
//! `::health_runtime::` paths.

mod check;
mod ctxt;
mod lit;
mod name;
mod routes;
mod suggest;

use proc_macro::TokenStream;

/// Registers an `async fn` as a health check. See `health_runtime::health_check`.
#[proc_macro_attribute]
pub fn health_check(args: TokenStream, item: TokenStream) -> TokenStream {
    check::expand(args.into(), item.into()).into()
}

/// Builds the router of the health endpoints. See `health_runtime::health_routes`.
#[proc_macro]
pub fn health_routes(input: TokenStream) -> TokenStream {
    routes::expand(input.into()).into()
}
