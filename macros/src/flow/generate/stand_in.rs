//! What a flow with errors still emits: the user's item, and stand-ins for everything other
//! items ask of it — its type, `Flow<C>` for any config, `Hooks`, its listing function, `WebhookFlow`
//! where it may be an endpoint, `PreprocessFlow` for a pre-process struct — so that one
//! mistake gives one error, not one more at each use of the flow.

use super::{preprocess_impl, webhook_impl};
use crate::exports::{FLOW, FLOW_DESCRIPTOR, HOOKS, PREPROCESS_FLOW, UNCHECKED};
use crate::flow::FlowItem;
use crate::flow::kind::Kind;
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// What is known of a flow whose definition did not check.
pub(crate) struct Known {
    /// Its kind, if the attribute said.
    pub kind: Option<Kind>,
    /// An endpoint's path as written, if it was one.
    pub path: Option<LitStr>,
}

pub(crate) fn stand_in(item: &FlowItem, known: &Known) -> TokenStream {
    let name = item.name();
    let vis = item.vis();
    let name_str = name.to_string();
    let (type_of_function, preprocess_id, preprocess) = match item {
        FlowItem::Function(_) => (
            quote! {
                #[allow(non_camel_case_types, dead_code)]
                #vis struct #name {}
            },
            quote!(::std::option::Option::None),
            TokenStream::new(),
        ),
        FlowItem::Endpoint(_) => (
            TokenStream::new(),
            quote!(::std::option::Option::Some(<Self as #PREPROCESS_FLOW>::ID)),
            preprocess_impl(name),
        ),
    };
    // Where the flow may be an endpoint, `endpoint::<F>()` is not where the mistake is.
    let may_be_endpoint = matches!(known.kind, None | Some(Kind::Webhook | Kind::Sync | Kind::Preprocess));
    let webhook = match (&known.path, may_be_endpoint) {
        (Some(path), true) => webhook_impl(name, path),
        (None, true) => webhook_impl(name, &LitStr::new("", name.span())),
        (_, false) => TokenStream::new(),
    };
    quote! {
        #item

        #type_of_function

        impl #name {
            #[doc(hidden)]
            #[allow(dead_code)]
            #vis fn list_this_flow_in_integration() {}
        }

        impl<C: 'static> #FLOW<C> for #name {
            const DESCRIPTOR: #FLOW_DESCRIPTOR<C> = #FLOW_DESCRIPTOR::invalid(#name_str, #preprocess_id);
        }

        // Pairs with anything, so a hook with a mistake is reported once.
        impl #HOOKS for #name {
            type Activates = #UNCHECKED;
            type Deactivates = #UNCHECKED;
        }

        #preprocess

        #webhook
    }
}
