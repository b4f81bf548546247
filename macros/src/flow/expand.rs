//! Generates, beside the untouched flow function, the zero-sized struct of the same name
//! that carries the flow's descriptor.

use super::attr::FlowAttr;
use super::kind::Kind;
use super::signature::FlowSignature;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ItemStruct, LitStr, ReturnType};

pub(crate) fn expand(function: &ItemFn, attr: &FlowAttr, signature: &FlowSignature) -> TokenStream {
    let name = &function.sig.ident;
    let vis = &function.vis;
    let config = &signature.config;
    let name_str = name.to_string();
    let trigger = trigger(attr);
    let policy = attr.policy.expand();
    let (verify, handshake) = endpoint_options(attr, config);
    let broker_url = broker_url(attr, config);
    let result_type = match &function.sig.output {
        ReturnType::Type(_, ty) => ty.as_ref().clone(),
        ReturnType::Default => syn::parse_quote!(()),
    };
    // Spanned at the return type, so a result that is not `Result<T: Serialize>` is reported there.
    let into_output = quote_spanned! {result_type.span()=>
        <#result_type as ::aqueduct::__private::FlowResult>::into_output
    };
    // Hygienic names, so a flow called `ctx`, `request` or `activation` is still the one called.
    let (ctx, request, activation) = (mixed("ctx"), mixed("request"), mixed("activation"));
    let handler = if attr.kind.is_lifecycle() {
        quote! {
            ::aqueduct::__private::Handler::Lifecycle(|#activation| {
                ::std::boxed::Box::pin(async move { #into_output(#name(#activation).await) })
            })
        }
    } else {
        let arguments: Vec<_> = (0..signature.extractors.len())
            .map(|index| syn::Ident::new(&format!("argument{index}"), Span::mixed_site()))
            .collect();
        quote! {
            ::aqueduct::__private::Handler::Event {
                check: |#request| #name::extract(#request).map(|_| ()),
                run: |#ctx, #request| {
                    ::std::boxed::Box::pin(async move {
                        let (#(#arguments,)*) = #name::extract(&#request)?;
                        #into_output(#name(#ctx, #(#arguments),*).await)
                    })
                },
            }
        }
    };
    let extract = extract_fn(signature);
    let webhook_impl = webhook_impl(name, attr.path.as_ref());
    let listed_check = listed_check(name, vis);
    let doc = format!(
        "The `{name_str}` flow as a type: list it in `integration!` and name it in `endpoint::<{name_str}>()`. \
         The function [`{name_str}`](fn@{name_str}) is what runs."
    );

    quote! {
        #function

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {}

        #listed_check

        impl #name {
            #extract
        }

        impl ::aqueduct::__private::Flow<#config> for #name {
            const DESCRIPTOR: ::aqueduct::__private::FlowDescriptor<#config> = ::aqueduct::__private::FlowDescriptor {
                name: #name_str,
                trigger: #trigger,
                policy: #policy,
                verify: #verify,
                handshake: #handshake,
                broker_url: #broker_url,
                handler: #handler,
            };
        }

        #webhook_impl
    }
}

/// A pre-process endpoint: the user's unit struct, with its descriptor; its deliveries go to
/// the event flows that name it.
pub(crate) fn expand_preprocess(endpoint: &ItemStruct, attr: &FlowAttr) -> TokenStream {
    let name = &endpoint.ident;
    let name_str = name.to_string();
    let config = attr.config.as_ref().expect("validated: a pre-process flow has a config type");
    let trigger = trigger(attr);
    let policy = attr.policy.expand();
    let (verify, handshake) = endpoint_options(attr, config);
    let webhook_impl = webhook_impl(name, attr.path.as_ref());
    let listed_check = listed_check(name, &endpoint.vis);
    let preprocess_impl = preprocess_impl(name);
    quote! {
        #endpoint

        #listed_check

        impl ::aqueduct::__private::Flow<#config> for #name {
            const DESCRIPTOR: ::aqueduct::__private::FlowDescriptor<#config> = ::aqueduct::__private::FlowDescriptor {
                name: #name_str,
                trigger: #trigger,
                policy: #policy,
                verify: #verify,
                handshake: #handshake,
                broker_url: ::std::option::Option::None,
                handler: ::aqueduct::__private::Handler::Dispatch,
            };
        }

        #preprocess_impl

        #webhook_impl
    }
}

/// `verify` and `handshake` as runtime values (`None` when not given).
fn endpoint_options(attr: &FlowAttr, config: &syn::Type) -> (TokenStream, TokenStream) {
    let some = |value: Option<TokenStream>| match value {
        Some(value) => quote!(::std::option::Option::Some(#value)),
        None => quote!(::std::option::Option::None),
    };
    (
        some(attr.verify.as_ref().map(|verify| verify.expand(config))),
        some(attr.handshake.as_ref().map(|handshake| handshake.expand(config))),
    )
}

/// A source's `url = field`: the broker URL from the instance's configuration.
fn broker_url(attr: &FlowAttr, config: &syn::Type) -> TokenStream {
    let Some(field) = &attr.url else { return quote!(::std::option::Option::None) };
    let read = quote_spanned! {field.span()=> ::aqueduct::__private::BrokerUrl::broker_url(&config.#field) };
    quote! {
        ::std::option::Option::Some({
            fn broker_url(config: &#config) -> ::std::option::Option<::std::string::String> {
                #read
            }
            broker_url
        })
    }
}

/// The function `integration!` names for each flow it lists. Spanned at the user's item, not
/// at this macro: rustc does not report dead code that an external macro wrote, and a flow
/// no integration lists fails to compile through exactly that report.
fn listed_check(name: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    quote_spanned! {name.span()=>
        impl #name {
            /// `integration!` names this; a flow that no integration lists fails to compile here.
            #[doc(hidden)]
            #[deny(dead_code)]
            #vis fn list_this_flow_in_integration() {}
        }
    }
}

/// For a flow with errors: the function and a stand-in type, so that the places naming the
/// flow (`integration!`, `endpoint::<…>()`) compile and the user sees only the real error.
pub(crate) fn expand_invalid(function: &ItemFn, attr: Option<&FlowAttr>) -> TokenStream {
    let name = &function.sig.ident;
    let vis = &function.vis;
    let stand_in = stand_in(name, vis);
    let webhook_impl = webhook_impl(name, attr.and_then(|attr| attr.path.as_ref()));
    quote! {
        #function

        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}

        #stand_in

        #webhook_impl
    }
}

/// For a pre-process flow with errors: the struct and stand-in impls, so that only the real
/// error is reported.
pub(crate) fn expand_invalid_preprocess(endpoint: &ItemStruct) -> TokenStream {
    let name = &endpoint.ident;
    let (stand_in, preprocess_impl) = (stand_in(name, &endpoint.vis), preprocess_impl(name));
    quote! {
        #endpoint

        #stand_in

        #preprocess_impl
    }
}

/// What `from = …` reads of a pre-process flow.
fn preprocess_impl(name: &syn::Ident) -> TokenStream {
    let name_str = name.to_string();
    quote! {
        impl ::aqueduct::__private::PreprocessFlow for #name {
            const NAME: &'static str = #name_str;
            const ID: &'static str = ::std::concat!(::std::module_path!(), "::", #name_str);
        }
    }
}

/// What the places naming a flow with errors need: its listing function, and a descriptor
/// that never reaches the runtime.
fn stand_in(name: &syn::Ident, vis: &syn::Visibility) -> TokenStream {
    let name_str = name.to_string();
    quote! {
        impl #name {
            #[doc(hidden)]
            #[allow(dead_code)]
            #vis fn list_this_flow_in_integration() {}
        }

        impl<C: 'static> ::aqueduct::__private::Flow<C> for #name {
            const DESCRIPTOR: ::aqueduct::__private::FlowDescriptor<C> =
                ::aqueduct::__private::FlowDescriptor::invalid(#name_str, ::std::option::Option::None);
        }
    }
}

fn webhook_impl(name: &syn::Ident, path: Option<&LitStr>) -> Option<TokenStream> {
    let path = path?;
    Some(quote! {
        impl ::aqueduct::__private::WebhookFlow for #name {
            const PATH: &'static str = #path;
        }
    })
}

fn mixed(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

/// The flow's trigger as a runtime value.
fn trigger(attr: &FlowAttr) -> TokenStream {
    match attr.kind {
        Kind::Webhook => {
            let path = attr.path.as_ref().expect("validated: a webhook flow has a path");
            quote!(::aqueduct::__private::Trigger::Webhook { path: #path })
        }
        Kind::Schedule => {
            let cron = attr.cron.as_ref().expect("validated: a schedule flow has a cron expression");
            let tz = attr.tz.clone().unwrap_or_else(|| LitStr::new("UTC", Span::call_site()));
            quote!(::aqueduct::__private::Trigger::Schedule { cron: #cron, tz: #tz })
        }
        Kind::OnActivate => quote!(::aqueduct::__private::Trigger::OnActivate),
        Kind::OnDeactivate => quote!(::aqueduct::__private::Trigger::OnDeactivate),
        Kind::Preprocess => {
            let path = attr.path.as_ref().expect("validated: a pre-process flow has a path");
            let route = attr.route.as_ref().expect("validated: a pre-process flow has a route").expand();
            let reject = attr.reject_unhandled;
            // Expanded inside `impl Flow for` the struct, so `Self` is the pre-process flow.
            quote!(::aqueduct::__private::Trigger::Preprocess {
                id: <Self as ::aqueduct::__private::PreprocessFlow>::ID,
                path: #path,
                route: #route,
                reject_unhandled: #reject,
            })
        }
        Kind::Nats | Kind::Amqp | Kind::Mqtt => {
            let address = attr.address.as_ref().expect("validated: a source names what it consumes");
            let broker = match attr.kind {
                Kind::Nats => {
                    let stream = attr.stream.as_ref().expect("validated: a NATS source names its stream");
                    quote!(::aqueduct::__private::Broker::Nats { subject: #address, stream: #stream })
                }
                Kind::Amqp => quote!(::aqueduct::__private::Broker::Amqp { queue: #address }),
                _ => quote!(::aqueduct::__private::Broker::Mqtt { topic: #address }),
            };
            quote!(::aqueduct::__private::Trigger::Source { broker: #broker })
        }
        Kind::Event => {
            let event = attr.event.as_ref().expect("validated: an event flow names its event");
            let preprocess = attr.preprocess.as_ref().expect("validated: an event flow names its pre-process flow");
            // Spanned at the name, so naming something that is not a pre-process flow is reported there.
            let (name, id) = (
                quote_spanned! {preprocess.span()=> <#preprocess as ::aqueduct::__private::PreprocessFlow>::NAME },
                quote_spanned! {preprocess.span()=> <#preprocess as ::aqueduct::__private::PreprocessFlow>::ID },
            );
            quote!(::aqueduct::__private::Trigger::Event { preprocess: #name, preprocess_id: #id, event: #event })
        }
    }
}

/// One function that reads every extractor from the request, used both to reject a bad
/// request at the door and to call the flow later, so each extractor is checked in one place.
fn extract_fn(signature: &FlowSignature) -> TokenStream {
    let types = &signature.extractors;
    let reads = types.iter().map(|ty| {
        quote_spanned! {ty.span()=>
            <#ty as ::aqueduct::__private::FromRequest>::from_request(request)?
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        fn extract(
            request: &::aqueduct::__private::Request,
        ) -> ::std::result::Result<(#(#types,)*), ::aqueduct::__private::Rejection> {
            ::std::result::Result::Ok((#(#reads,)*))
        }
    }
}
