//! Generates the cross-flow `const` assertions and `fn main`.

use super::parse::Integration;
use crate::duration::optional_duration_tokens;
use crate::errors::written;
use crate::exports::{
    BOTH_ON_ACTIVATE, BOTH_ON_DEACTIVATE, CONFIG_SCHEMA, FLOW, HOOKS, INTEGRATION, NO_CONFIG_SCHEMA, NO_HOOK, OR,
    PAIRED, PREPROCESS_LISTED, RETENTION, RUN_MAIN, RuntimePath, SCHEMA_OF, SHARE_A_NAME, SHARE_A_PATH, SHARE_AN_EVENT,
};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

pub(crate) fn expand(integration: &Integration) -> TokenStream {
    let Integration { name, config, flows, demo, .. } = integration;
    let retention = retention(integration);
    let descriptors: Vec<TokenStream> = flows
        .iter()
        .map(|flow| {
            let trait_path = FLOW.at(flow.span());
            quote_spanned!(flow.span()=> <#flow as #trait_path<#config>>::DESCRIPTOR)
        })
        .collect();
    let pair_checks = pair_checks(flows, &descriptors);
    let source_checks = flows.iter().zip(&descriptors).map(|(flow, descriptor)| {
        let message = format!(
            "the event flow `{}` takes its events from a pre-process flow that this integration does not list; add the flow its `from = …` names to `flows: [...]` (one of the same name in another module is another flow)",
            written(flow)
        );
        let preprocess_listed = PREPROCESS_LISTED.at(flow.span());
        quote_spanned! {flow.span()=>
            const _: () = if !#preprocess_listed(&#descriptor, &[#(#descriptors),*]) {
                ::core::panic!(#message)
            };
        }
    });
    let demo = match demo {
        // A hygienic name, so the closure's argument cannot shadow a demo function named `demo`.
        Some(demo) => {
            let handle = syn::Ident::new("handle", proc_macro2::Span::mixed_site());
            quote!(::std::option::Option::Some(|#handle| ::std::boxed::Box::pin(#demo(#handle))))
        }
        None => quote!(::std::option::Option::None),
    };
    // Spanned at the config type, so a type that cannot configure an integration is reported there.
    let run_main = RUN_MAIN.at(config.span());
    let run_main = quote_spanned!(config.span()=> #run_main::<#config>);
    let hooks_paired = hooks_paired(flows);
    // The schema when the config type derives `JsonSchema`, else `None` (see `SchemaOf`).
    let schema = quote! {
        || {
            use #CONFIG_SCHEMA as _;
            use #NO_CONFIG_SCHEMA as _;
            (&#SCHEMA_OF::<#config>::new()).schema()
        }
    };
    quote! {
        #(#pair_checks)*
        #(#source_checks)*
        #hooks_paired

        // Naming each listed flow here is what makes an unlisted `#[flow]` a compile error;
        // a `const _` counts as used wherever it stands, even in a doctest's wrapper.
        const _: () = { #( let _ = #flows::list_this_flow_in_integration; )* };

        /// The integration, for tests, benchmarks and custom `main`s (`aqueduct::Server::start`).
        pub const INTEGRATION: #INTEGRATION<#config> = #INTEGRATION::new(#name, &[#(#descriptors),*], #demo, #retention, #schema);

        // Unused when `integration!` stands in a module, as in a test or a benchmark.
        #[allow(dead_code)]
        fn main() -> ::std::process::ExitCode {
            #run_main(INTEGRATION)
        }
    }
}

/// For every two flows, `const` assertions that they do not clash; each is spanned at the
/// second flow of the pair, so the error points into the `flows: [...]` list.
fn pair_checks(flows: &[Path], descriptors: &[TokenStream]) -> Vec<TokenStream> {
    let mut checks = Vec::new();
    for (second, second_descriptor) in flows.iter().zip(descriptors).skip(1) {
        for (first, first_descriptor) in flows.iter().zip(descriptors).take_while(|(flow, _)| *flow != second) {
            let (a, b) = (written(first), written(second));
            let clashes: [(RuntimePath, String); 5] = [
                (
                    SHARE_A_NAME,
                    format!(
                        "the flows `{a}` and `{b}` have the same name, and runs know their flow by name; rename one of the functions"
                    ),
                ),
                (
                    SHARE_A_PATH,
                    format!(
                        "the flows `{a}` and `{b}` are served at the same path; give each webhook and pre-process flow a path of its own"
                    ),
                ),
                (
                    SHARE_AN_EVENT,
                    format!(
                        "the flows `{a}` and `{b}` take the same event of the same pre-process flow; let one flow take it"
                    ),
                ),
                (
                    BOTH_ON_ACTIVATE,
                    format!(
                        "the flows `{a}` and `{b}` are both on_activate hooks; an integration has one, so do both jobs in one function"
                    ),
                ),
                (
                    BOTH_ON_DEACTIVATE,
                    format!(
                        "the flows `{a}` and `{b}` are both on_deactivate hooks; an integration has one, so do both jobs in one function"
                    ),
                ),
            ];
            for (clash, message) in clashes {
                let clash = clash.at(second.span());
                checks.push(quote_spanned! {second.span()=>
                    const _: () = if #clash(&#first_descriptor, &#second_descriptor) {
                        ::core::panic!(#message)
                    };
                });
            }
        }
    }
    checks
}

/// A compile error unless `on_deactivate` takes what `on_activate` registers: each flow says
/// what it registers or removes (`Hooks`), and the integration's one of each is found by
/// folding them with `Or`.
fn hooks_paired(flows: &[Path]) -> TokenStream {
    let fold = |role: &str| {
        let role = syn::Ident::new(role, proc_macro2::Span::call_site());
        flows.iter().fold(quote!(#NO_HOOK), |found, flow| quote!(<#found as #OR<<#flow as #HOOKS>::#role>>::Out))
    };
    let (activates, deactivates) = (fold("Activates"), fold("Deactivates"));
    quote! {
        const _: () = #PAIRED::<#activates, #deactivates>();
    }
}

/// `Retention { … }` as `keep`, `keep_dead` and `keep_payload` give it (one written wrongly is
/// reported by the check, and left out here).
fn retention(integration: &Integration) -> TokenStream {
    let kept = |text: &Option<syn::LitStr>| {
        optional_duration_tokens(text.as_ref().and_then(|text| humantime::parse_duration(text.value().trim()).ok()))
    };
    let (keep, keep_dead, keep_payload) =
        (kept(&integration.keep), kept(&integration.keep_dead), kept(&integration.keep_payload));
    quote!(#RETENTION { keep: #keep, keep_dead: #keep_dead, keep_payload: #keep_payload })
}
