//! The procedural macros of [aqueduct](https://docs.rs/aqueduct): `#[flow]`, `#[component]`,
//! `#[action]` and `integration!`. Use them through `aqueduct::prelude`; their documentation,
//! with examples, lives on the re-exports there.
//!
//! Each macro parses its input into typed structs, checks them, then generates code; every
//! mistake it can see is reported at the span that caused it. Generated code names the
//! runtime through the paths in `exports.rs` only.

mod call;
mod component;
mod duration;
mod errors;
mod exports;
mod flow;
mod integration;
mod read;
mod schedule;
mod suggest;

use proc_macro::TokenStream;

/// Marks an `async fn` as a flow; see `aqueduct::flow`.
#[proc_macro_attribute]
pub fn flow(attr: TokenStream, item: TokenStream) -> TokenStream {
    flow::flow(attr.into(), item.into()).into()
}

/// Marks a struct wrapping one API, and its `impl` of `#[action]` methods; see `aqueduct::component`.
#[proc_macro_attribute]
pub fn component(attr: TokenStream, item: TokenStream) -> TokenStream {
    component::component(attr.into(), item.into()).into()
}

/// Marks a method of a `#[component]` impl as a recorded API call; see `aqueduct::action`.
#[proc_macro_attribute]
pub fn action(_attr: TokenStream, item: TokenStream) -> TokenStream {
    component::stray_action(item.into()).into()
}

/// Lists the flows of one integration and generates its binary; see `aqueduct::integration`.
#[proc_macro]
pub fn integration(input: TokenStream) -> TokenStream {
    integration::integration(input.into()).into()
}
