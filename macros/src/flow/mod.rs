//! `#[flow(…)]`: parse the attribute and the signature, check them, generate the descriptor.

mod attr;
mod expand;
mod kind;
mod policy;
mod signature;
mod verify;

use crate::errors::Errors;
use attr::FlowAttr;
use proc_macro2::TokenStream;
use signature::FlowSignature;
use syn::ItemFn;

pub(crate) fn flow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "#[flow] goes on an `async fn`, e.g. #[flow(webhook, path = \"/orders\")] async fn orders(ctx: Ctx<Settings>, …)",
            );
            return [error.to_compile_error(), item].into_iter().collect();
        }
    };
    let mut errors = Errors::default();
    let attr = FlowAttr::parse(attr, &mut errors);
    let signature = attr.as_ref().and_then(|attr| FlowSignature::parse(&function, attr.kind, &mut errors));
    match (&attr, signature) {
        (Some(attr), Some(signature)) if errors.is_empty() => expand::expand(&function, attr, &signature),
        // On error the function is still emitted, so one mistake gives one error.
        _ => [errors.into_compile_errors(), expand::expand_invalid(&function, attr.as_ref())].into_iter().collect(),
    }
}
