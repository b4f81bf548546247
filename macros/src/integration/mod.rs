//! `integration!`: the list of flows that makes one binary.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

pub(crate) fn integration(input: TokenStream) -> TokenStream {
    let integration: parse::Integration = match syn::parse2(input) {
        Ok(integration) => integration,
        // A stand-in `main`, so the only error is the one in the input.
        Err(error) => {
            let error = error.to_compile_error();
            return quote::quote! { #error fn main() {} };
        }
    };
    // The expansion is emitted even beside errors, so `main` and the flows' uses exist and
    // the user sees only the mistake itself.
    [integration.check().into_compile_errors(), expand::expand(&integration)].into_iter().collect()
}
