//! `#[flow(…)]`: parse the attribute and the signature, check them, generate the descriptor.

mod attr;
mod endpoint;
mod expand;
mod kind;
mod policy;
mod request_key;
mod signature;
mod verify;

use crate::errors::Errors;
use attr::FlowAttr;
use kind::Kind;
use proc_macro2::TokenStream;
use signature::FlowSignature;
use syn::Item;

pub(crate) fn flow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => {
            let attr = FlowAttr::parse(attr, &mut errors);
            if let Some(FlowAttr { kind: Kind::Preprocess, .. }) = attr {
                errors.at(
                    &function.sig.ident,
                    "#[flow(preprocess, …)] goes on a unit struct naming the endpoint, e.g. `struct GitHub;`; \
                     the events it receives go to flows marked #[flow(event = \"…\", from = GitHub)]",
                );
            }
            let signature = attr.as_ref().and_then(|attr| FlowSignature::parse(&function, attr.kind, &mut errors));
            match (&attr, signature) {
                (Some(attr), Some(signature)) if errors.is_empty() => expand::expand(&function, attr, &signature),
                // On error the function is still emitted, so one mistake gives one error.
                _ => [errors.into_compile_errors(), expand::expand_invalid(&function, attr.as_ref())]
                    .into_iter()
                    .collect(),
            }
        }
        Ok(Item::Struct(endpoint)) => {
            let attr = FlowAttr::parse(attr, &mut errors);
            if let Some(attr) = &attr
                && attr.kind != Kind::Preprocess
            {
                errors.at(
                    &endpoint.ident,
                    format!(
                        "#[flow] on a struct declares a pre-process endpoint; {} goes on an `async fn`",
                        attr.kind.a()
                    ),
                );
            }
            if !matches!(endpoint.fields, syn::Fields::Unit) {
                errors.at(
                    &endpoint.fields,
                    format!("a pre-process flow is a unit struct: write `struct {};`", endpoint.ident),
                );
            }
            match attr {
                Some(attr) if errors.is_empty() => expand::expand_preprocess(&endpoint, &attr),
                _ => [errors.into_compile_errors(), expand::expand_invalid_preprocess(&endpoint)].into_iter().collect(),
            }
        }
        _ => {
            let error = syn::Error::new_spanned(
                &item,
                "#[flow] goes on an `async fn`, e.g. #[flow(webhook, path = \"/orders\")] async fn orders(ctx: Ctx<Settings>, …), \
                 or on the unit struct of a pre-process endpoint",
            );
            [error.to_compile_error(), item].into_iter().collect()
        }
    }
}
