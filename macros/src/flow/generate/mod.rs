//! Step 3: from a checked [`FlowDef`], the flow's descriptor beside the untouched item — for a
//! function, a zero-sized struct of the same name carries it; a pre-process flow's own unit
//! struct does.

mod descriptor;
pub(crate) mod stand_in;

pub(crate) use stand_in::stand_in;

use super::FlowItem;
use super::def::BrokerDef;
use super::def::{FlowDef, KindDef};
use crate::exports::{
    AMQP_FEATURE, FLOW, FLOW_DESCRIPTOR, FLOW_RESULT, FROM_REQUEST, HOOK, HOOK_RESULT, HOOKS, INVOCABLE, MQTT_FEATURE,
    NATS_FEATURE, NO_HOOK, PREPROCESS_FLOW, REJECTION, REQUEST, WEBHOOK_FLOW,
};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, ReturnType, Visibility};

pub(crate) fn flow(item: &FlowItem, def: &FlowDef) -> TokenStream {
    let FlowDef { name, vis, config, .. } = def;
    let name_str = name.to_string();
    let descriptor = descriptor::descriptor(item, def);
    let listed_check = listed_check(name, vis);
    let hooks = hooks_impl(item, def);
    let type_of_function = match item {
        FlowItem::Function(_) => {
            let extract = extract_fn(def);
            let doc = format!(
                "The `{name_str}` flow as a type: list it in `integration!` and name it in `endpoint::<{name_str}>()`. \
                 The function [`{name_str}`](fn@{name_str}) is what runs."
            );
            quote! {
                #[doc = #doc]
                #[allow(non_camel_case_types)]
                #vis struct #name {}

                impl #name {
                    #extract
                }
            }
        }
        FlowItem::Endpoint(_) => TokenStream::new(),
    };
    let invocable = match item {
        FlowItem::Function(function) => invocable_impl(function, def),
        FlowItem::Endpoint(_) => TokenStream::new(),
    };
    let endpoint_impls = match &def.kind {
        KindDef::Webhook { path, .. } | KindDef::Sync { path, .. } => webhook_impl(name, path),
        KindDef::Preprocess { path, .. } => [webhook_impl(name, path), preprocess_impl(name)].into_iter().collect(),
        KindDef::Source { broker, .. } => feature_check(broker),
        _ => TokenStream::new(),
    };
    quote! {
        #item

        #type_of_function

        #listed_check

        impl #FLOW<#config> for #name {
            const DESCRIPTOR: #FLOW_DESCRIPTOR<#config> = #descriptor;
        }

        #hooks

        #invocable

        #endpoint_impls
    }
}

/// What `ctx.invoke::<F>(input)` reads of a flow that takes its input as one `Json<T>`: `T`,
/// and what the flow returns. Other flows are not invocable, which `Invocable`'s message says.
fn invocable_impl(function: &syn::ItemFn, def: &FlowDef) -> TokenStream {
    let takes_one_payload =
        matches!(def.kind, KindDef::Webhook { .. } | KindDef::Event { .. } | KindDef::Source { .. });
    let input = match def.extractors.as_slice() {
        [syn::Type::Path(json)] if takes_one_payload => json_payload(json),
        _ => None,
    };
    let Some(input) = input else { return TokenStream::new() };
    let (name, config, result) = (&def.name, &def.config, result_type(function));
    quote! {
        impl #INVOCABLE<#config> for #name {
            type Input = #input;
            type Output = <#result as #FLOW_RESULT>::Output;
        }
    }
}

/// `T` of `Json<T>` (by any path).
fn json_payload(ty: &syn::TypePath) -> Option<syn::Type> {
    let last = ty.path.segments.last().filter(|segment| segment.ident == "Json")?;
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(payload)] => Some(payload.clone()),
        _ => None,
    }
}

/// What the flow function returns (`()` when it says nothing).
fn result_type(function: &syn::ItemFn) -> syn::Type {
    match &function.sig.output {
        ReturnType::Type(_, ty) => ty.as_ref().clone(),
        ReturnType::Default => syn::parse_quote!(()),
    }
}

/// What the flow registers or removes, for `integration!`'s check that the hooks pair.
fn hooks_impl(item: &FlowItem, def: &FlowDef) -> TokenStream {
    let name = &def.name;
    let (activates, deactivates) = match (&def.kind, item) {
        (KindDef::OnActivate, FlowItem::Function(function)) => {
            let result = result_type(function);
            let registration = quote_spanned!(result.span()=> <#result as #HOOK_RESULT>::Registration);
            (quote!(#HOOK<#registration>), quote!(#NO_HOOK))
        }
        (KindDef::OnDeactivate, _) => {
            let registration = def.registration.clone().unwrap_or_else(|| syn::parse_quote!(()));
            (quote!(#NO_HOOK), quote!(#HOOK<#registration>))
        }
        _ => (quote!(#NO_HOOK), quote!(#NO_HOOK)),
    };
    quote! {
        impl #HOOKS for #name {
            type Activates = #activates;
            type Deactivates = #deactivates;
        }
    }
}

/// The function `integration!` names for each flow it lists. Spanned at the user's item, not
/// at this macro: rustc does not report dead code that an external macro wrote, and a flow
/// no integration lists fails to compile through exactly that report.
fn listed_check(name: &Ident, vis: &Visibility) -> TokenStream {
    quote_spanned! {name.span()=>
        impl #name {
            /// `integration!` names this; a flow that no integration lists fails to compile here.
            #[doc(hidden)]
            #[deny(dead_code)]
            #vis fn list_this_flow_in_integration() {}
        }
    }
}

/// A compile error naming the feature to enable, where a source's client is not in this build.
fn feature_check(broker: &BrokerDef) -> TokenStream {
    let (check, address) = match broker {
        BrokerDef::Nats { subject, .. } => (NATS_FEATURE, subject),
        BrokerDef::Amqp { queue } => (AMQP_FEATURE, queue),
        BrokerDef::Mqtt { topic } => (MQTT_FEATURE, topic),
    };
    let check = check.at(address.span());
    quote_spanned! {address.span()=> #check!(); }
}

/// What `endpoint::<F>()` reads.
fn webhook_impl(name: &Ident, path: &LitStr) -> TokenStream {
    quote! {
        impl #WEBHOOK_FLOW for #name {
            const PATH: &'static str = #path;
        }
    }
}

/// What `from = …` reads of a pre-process flow.
fn preprocess_impl(name: &Ident) -> TokenStream {
    let name_str = name.to_string();
    quote! {
        impl #PREPROCESS_FLOW for #name {
            const NAME: &'static str = #name_str;
            const ID: &'static str = ::std::concat!(::std::module_path!(), "::", #name_str);
        }
    }
}

/// One function that reads every extractor from the request, used both to refuse a bad
/// request at the door and to call the flow later, so each extractor is checked in one place.
fn extract_fn(def: &FlowDef) -> TokenStream {
    let types = &def.extractors;
    let reads = types.iter().map(|ty| {
        let from_request = FROM_REQUEST.at(ty.span());
        quote_spanned! {ty.span()=>
            <#ty as #from_request>::from_request(request)?
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        fn extract(request: &#REQUEST) -> ::std::result::Result<(#(#types,)*), #REJECTION> {
            ::std::result::Result::Ok((#(#reads,)*))
        }
    }
}
