//! `#[component]` on a struct and on its `impl`, and `#[action]` on the methods that call
//! the third-party API: each action call becomes a traced, recorded step of the run.

mod options;

use crate::duration::{duration_tokens, optional_duration_tokens};
use crate::errors::Errors;
use crate::exports::{ARGUMENT, COMPONENT, DIGEST, DIGEST_NOTHING, DIGEST_SERIALIZED, KEEP_UNDO, RATE, RECORD_ACTION};
use options::ActionOptions;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use std::time::Duration;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, Item, ItemImpl, ItemStruct, Pat, PatIdent, PatType, ReturnType};

pub(crate) fn component(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let expanded = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(item)) => {
            let rate = options::rate(attr, &mut errors);
            component_struct(item, rate)
        }
        Ok(Item::Impl(item)) => {
            if !attr.is_empty() {
                errors.at(&attr, "#[component] on an `impl` block takes no options; `rate = …` goes on the struct");
            }
            component_impl(item, &mut errors)
        }
        _ => {
            errors.at(
                &item,
                "#[component] goes on a struct that wraps one API, and on its `impl` block of #[action] methods",
            );
            item
        }
    };
    [errors.into_compile_errors(), expanded].into_iter().collect()
}

/// `#[action]` outside a `#[component]` impl: the impl's macro removes the ones it handles.
pub(crate) fn stray_action(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        Span::call_site(),
        "#[action] marks a method of an `impl` block that is itself marked #[component]; add #[component] to that impl",
    );
    [error.to_compile_error(), item].into_iter().collect()
}

fn component_struct(item: ItemStruct, rate: Option<(u32, Duration)>) -> TokenStream {
    let name = &item.ident;
    let name_str = name.to_string();
    let (impl_generics, type_generics, where_clause) = item.generics.split_for_impl();
    let rate = rate.map(|(count, per)| {
        let per = duration_tokens(per);
        quote! {
            const RATE: ::std::option::Option<#RATE> = ::std::option::Option::Some(#RATE { count: #count, per: #per });
        }
    });
    quote! {
        #item

        impl #impl_generics #COMPONENT for #name #type_generics #where_clause {
            const NAME: &'static str = #name_str;
            #rate
        }
    }
}

fn component_impl(mut item: ItemImpl, errors: &mut Errors) -> TokenStream {
    if let Some((_, trait_path, _)) = &item.trait_ {
        errors.at(
            trait_path,
            "#[component] goes on the component's own `impl` block of #[action] methods, not on a trait impl; \
                          move the actions into `impl YourComponent { … }`",
        );
        // Without their #[action]s, so the mistake is reported once.
        for member in &mut item.items {
            if let ImplItem::Fn(method) = member {
                method.attrs.retain(|attr| !attr.path().is_ident("action"));
            }
        }
        return item.into_token_stream();
    }
    let mut wrappers = Vec::new();
    for member in &mut item.items {
        let ImplItem::Fn(method) = member else { continue };
        let Some(index) = method.attrs.iter().position(|attr| attr.path().is_ident("action")) else { continue };
        let attr = method.attrs.remove(index);
        method.attrs.retain(|attr| !attr.path().is_ident("action"));
        let options = options::action_options(&attr, errors);
        wrappers.push(action_wrapper(method, options, errors));
    }
    item.items.extend(wrappers.into_iter().flatten().map(ImplItem::Fn));
    item.into_token_stream()
}

/// Renames the action's body to a hidden method and puts, under the action's name, a method
/// that runs it as a recorded step (and keeps how to undo it, with `undo`).
fn action_wrapper(method: &mut ImplItemFn, options: ActionOptions, errors: &mut Errors) -> Option<ImplItemFn> {
    let ActionOptions { undo, timeout } = options;
    if method.sig.asyncness.is_none() {
        errors.at(
            method.sig.fn_token,
            format!("an #[action] calls an API, so it must be an `async fn`; write `async fn {}(…)`", method.sig.ident),
        );
        return None;
    }
    if let ReturnType::Default = method.sig.output {
        errors.at(
            &method.sig.ident,
            "an #[action] returns a `Result`, so its step is recorded as ok or failed; add `-> Result<…>`",
        );
        return None;
    }
    let action = method.sig.ident.clone();
    let action_str = action.to_string();
    let body_name = format_ident!("__aqueduct_action_{}", action);
    let mut wrapper = method.clone();
    method.sig.ident = body_name.clone();
    method.vis = syn::Visibility::Inherited;
    method.attrs.retain(|attr| !attr.path().is_ident("doc"));
    method.attrs.push(syn::parse_quote!(#[doc(hidden)]));

    let mut forwarded = Vec::new();
    let mut digested = Vec::new();
    for (index, argument) in wrapper.sig.inputs.iter_mut().enumerate() {
        match argument {
            FnArg::Receiver(receiver) => {
                // Taken by value, the receiver is only moved on, so it needs no `mut`.
                if receiver.reference.is_none() {
                    receiver.mutability = None;
                }
                forwarded.push(quote!(self));
            }
            FnArg::Typed(PatType { pat, .. }) => {
                let name = format_ident!("argument{}", index);
                **pat = Pat::Ident(PatIdent {
                    attrs: Vec::new(),
                    by_ref: None,
                    mutability: None,
                    ident: name.clone(),
                    subpat: None,
                });
                digested.push(quote!((&#ARGUMENT(&#name)).add_to(&mut digest);));
                forwarded.push(name.into_token_stream());
            }
        }
    }
    let output_span = match &wrapper.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => Span::call_site(),
    };
    let record = RECORD_ACTION.at(output_span);
    let timeout = optional_duration_tokens(timeout);
    let undo = match (undo, wrapper.sig.receiver()) {
        (None, _) => None,
        (Some(undo), Some(receiver)) if receiver.reference.is_some() => Some(undo),
        (Some(undo), _) => {
            errors.at(
                &undo,
                "an action with `undo` takes `&self`: a copy of the component is kept to call the undo with",
            );
            return None;
        }
    };
    // Each argument that serializes goes into the step's input digest (see the runtime's
    // `component/digest.rs` for how the others are left out).
    wrapper.block = syn::parse_quote! {{
        let input_digest = {
            #[allow(unused_imports)]
            use #DIGEST_SERIALIZED as _;
            #[allow(unused_imports)]
            use #DIGEST_NOTHING as _;
            let mut digest = #DIGEST::default();
            #(#digested)*
            digest.finish()
        };
        #record(
            <Self as #COMPONENT>::NAME,
            #action_str,
            <Self as #COMPONENT>::RATE,
            #timeout,
            input_digest,
            Self::#body_name(#(#forwarded),*),
        )
        .await
    }};
    if let Some(undo) = undo {
        let keep_undo = KEEP_UNDO.at(undo.span());
        let block = &wrapper.block;
        wrapper.block = syn::parse_quote! {{
            let result = #block;
            if let ::std::result::Result::Ok(output) = &result {
                #keep_undo(self, #action_str, output, |component: Self, output| {
                    ::std::boxed::Box::pin(async move {
                        component.#undo(&output).await.map(drop).map_err(|error| ::std::format!("{error:#}"))
                    })
                });
            }
            result
        }};
    }
    Some(wrapper)
}
