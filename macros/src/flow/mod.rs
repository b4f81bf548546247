//! `#[flow(…)]` in three steps: parse the attribute into the typed attribute of its kind
//! (`parse/`), check it with the item it marks into a valid definition (`check/`), generate
//! the descriptor from that (`generate/`). A flow with errors gets stand-ins instead, so each
//! mistake is reported once, where it is.

pub(crate) mod check;
mod def;
mod generate;
mod kind;
mod parse;

use crate::errors::Errors;
use generate::stand_in::Known;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Ident, Item, ItemFn, ItemStruct, Visibility};

pub(crate) fn flow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(function)) => FlowItem::Function(function),
        Ok(Item::Struct(endpoint)) => FlowItem::Endpoint(endpoint),
        _ => {
            let error = syn::Error::new_spanned(
                &item,
                "#[flow] goes on an `async fn`, e.g. #[flow(webhook, path = \"/orders\")] async fn orders(ctx: Ctx<Settings>, …), \
                 or on the unit struct of a pre-process endpoint",
            );
            return [error.to_compile_error(), item].into_iter().collect();
        }
    };
    let mut errors = Errors::default();
    let attr = parse::parse(attr, &mut errors);
    let known = Known {
        kind: attr.as_ref().map(parse::FlowAttr::kind),
        path: attr.as_ref().and_then(|attr| attr.path().cloned()),
    };
    match attr.and_then(|attr| check::check(&item, attr, &mut errors)) {
        Some(def) if errors.is_empty() => generate::flow(&item, &def),
        _ => [errors.into_compile_errors(), generate::stand_in(&item, &known)].into_iter().collect(),
    }
}

/// What `#[flow]` marks: a flow's function, or a pre-process flow's unit struct.
pub(crate) enum FlowItem {
    Function(ItemFn),
    Endpoint(ItemStruct),
}

impl FlowItem {
    pub(crate) fn name(&self) -> &Ident {
        match self {
            FlowItem::Function(function) => &function.sig.ident,
            FlowItem::Endpoint(endpoint) => &endpoint.ident,
        }
    }

    pub(crate) fn vis(&self) -> &Visibility {
        match self {
            FlowItem::Function(function) => &function.vis,
            FlowItem::Endpoint(endpoint) => &endpoint.vis,
        }
    }
}

impl ToTokens for FlowItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            FlowItem::Function(function) => function.to_tokens(tokens),
            FlowItem::Endpoint(endpoint) => endpoint.to_tokens(tokens),
        }
    }
}
