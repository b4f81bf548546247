//! Generates the cross-flow `const` assertions and `fn main`.

use super::parse::Integration;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

pub(crate) fn expand(integration: &Integration) -> TokenStream {
    let Integration { name, config, flows, demo } = integration;
    let descriptors: Vec<TokenStream> = flows
        .iter()
        .map(|flow| quote_spanned!(flow.span()=> <#flow as ::aqueduct::__private::Flow<#config>>::DESCRIPTOR))
        .collect();
    let pair_checks = pair_checks(flows, &descriptors);
    let demo = match demo {
        Some(demo) => quote! {
            ::std::option::Option::Some(|demo| ::std::boxed::Box::pin(#demo(demo)))
        },
        None => quote!(::std::option::Option::None),
    };
    quote! {
        #(#pair_checks)*

        // Naming each listed flow here is what makes an unlisted `#[flow]` a compile error;
        // a `const _` counts as used wherever it stands, even in a doctest's wrapper.
        const _: () = { #( let _ = #flows::must_be_listed_in_integration; )* };

        fn main() -> ::std::process::ExitCode {
            const FLOWS: &[::aqueduct::__private::FlowDescriptor<#config>] = &[#(#descriptors),*];
            ::aqueduct::__private::run_main(::aqueduct::__private::Integration {
                name: #name,
                flows: FLOWS,
                demo: #demo,
            })
        }
    }
}

/// For every two flows, `const` assertions that they do not clash; each is spanned at the
/// second flow of the pair, so the error points into the `flows: [...]` list.
fn pair_checks(flows: &[Path], descriptors: &[TokenStream]) -> Vec<TokenStream> {
    let mut checks = Vec::new();
    for (second, second_descriptor) in flows.iter().zip(descriptors).skip(1) {
        for (first, first_descriptor) in flows.iter().zip(descriptors).take_while(|(flow, _)| *flow != second) {
            let (a, b) = (first.to_token_stream().to_string(), second.to_token_stream().to_string());
            let clashes = [
                (
                    quote!(share_a_path),
                    format!("the flows `{a}` and `{b}` are served at the same path; give each webhook flow a path of its own"),
                ),
                (
                    quote!(both_on_activate),
                    format!(
                        "the flows `{a}` and `{b}` are both on_activate hooks; an integration has one, so do both jobs in one function"
                    ),
                ),
                (
                    quote!(both_on_deactivate),
                    format!(
                        "the flows `{a}` and `{b}` are both on_deactivate hooks; an integration has one, so do both jobs in one function"
                    ),
                ),
            ];
            for (clash, message) in clashes {
                checks.push(quote_spanned! {second.span()=>
                    const _: () = if ::aqueduct::__private::#clash(&#first_descriptor, &#second_descriptor) {
                        ::core::panic!(#message)
                    };
                });
            }
        }
    }
    checks
}
