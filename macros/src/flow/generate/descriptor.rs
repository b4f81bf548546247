//! A flow's descriptor as a `const` expression: its trigger, policy, signature check,
//! handshake, what it reads from the configuration and its handler.

use crate::duration::{duration_tokens, optional_duration_tokens};
use crate::exports::{
    BROKER, BROKER_URL, CALLBACK_HOSTS, CALLBACK_SECRET, CALLBACKS, CRON, CRON_FIELD, ENCODING, FLOW_DESCRIPTOR,
    FLOW_RESULT, HANDLER, HANDSHAKE, OVERLAP, POLICY, PREPROCESS_FLOW, REQUEST_KEY, RETENTION, RuntimePath, SCHEME,
    SECRET, SECRET_FIELD, SYNC_METHOD, SYNC_RESULT, TRIGGER, VERIFIER,
};
use crate::flow::FlowItem;
use crate::flow::def::{BrokerDef, CallbacksDef, EndpointDef, FlowDef, KindDef, Overlap, PolicyDef};
use crate::flow::parse::{CronAttr, HandshakeAttr, RequestKey, Scheme, VerifyAttr};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

pub(super) fn descriptor(item: &FlowItem, def: &FlowDef) -> TokenStream {
    let name_str = def.name.to_string();
    let trigger = trigger(&def.kind);
    let policy = policy(&def.policy);
    let none = quote!(::std::option::Option::None);
    let (verify, handshake) = match &def.kind {
        KindDef::Webhook { endpoint, .. } | KindDef::Sync { endpoint, .. } | KindDef::Preprocess { endpoint, .. } => {
            endpoint_options(endpoint, &def.config)
        }
        _ => (none.clone(), none.clone()),
    };
    let from_config = match &def.kind {
        KindDef::Source { url: Some(field), .. } => from_config(field, &def.config, BROKER_URL),
        KindDef::Schedule { cron: CronAttr::Config(field), .. } => from_config(field, &def.config, CRON_FIELD),
        _ => none.clone(),
    };
    let callbacks = match &def.kind {
        KindDef::Sync { callbacks: Some(callbacks), .. } => callbacks_of(callbacks, &def.config),
        _ => none,
    };
    let handler = handler(item, def);
    quote! {
        #FLOW_DESCRIPTOR {
            name: #name_str,
            trigger: #trigger,
            policy: #policy,
            verify: #verify,
            handshake: #handshake,
            from_config: #from_config,
            callbacks: #callbacks,
            handler: #handler,
        }
    }
}

/// The flow's trigger as a runtime value.
fn trigger(kind: &KindDef) -> TokenStream {
    match kind {
        KindDef::Webhook { path, .. } => quote!(#TRIGGER::Webhook { path: #path }),
        KindDef::Sync { path, get, wait, .. } => {
            let method = if *get { quote!(#SYNC_METHOD::Get) } else { quote!(#SYNC_METHOD::Post) };
            let wait = duration_tokens(*wait);
            quote!(#TRIGGER::Sync { path: #path, method: #method, wait: #wait })
        }
        KindDef::Schedule { cron, tz, timing } => {
            let cron = match cron {
                CronAttr::Written(cron) => quote!(#CRON::Written(#cron)),
                CronAttr::Config(field) => {
                    let field = field.to_string();
                    quote!(#CRON::Config(#field))
                }
            };
            let overlap = match timing.overlap {
                Overlap::Skip => quote!(#OVERLAP::Skip),
                Overlap::Queue => quote!(#OVERLAP::Queue),
                Overlap::Allow => quote!(#OVERLAP::Allow),
            };
            let (catch_up, jitter) =
                (optional_duration_tokens(timing.catch_up), optional_duration_tokens(timing.jitter));
            let backfill = timing.backfill;
            quote!(#TRIGGER::Schedule {
                cron: #cron, tz: #tz, overlap: #overlap, catch_up: #catch_up, jitter: #jitter, backfill: #backfill,
            })
        }
        KindDef::OnActivate => quote!(#TRIGGER::OnActivate),
        KindDef::OnDeactivate => quote!(#TRIGGER::OnDeactivate),
        KindDef::Preprocess { path, route, reject_unhandled, .. } => {
            let route = request_key(route);
            // Expanded inside `impl Flow for` the struct, so `Self` is the pre-process flow.
            quote!(#TRIGGER::Preprocess {
                id: <Self as #PREPROCESS_FLOW>::ID,
                path: #path,
                route: #route,
                reject_unhandled: #reject_unhandled,
            })
        }
        KindDef::Event { event, from } => {
            // Spanned at the name, so naming something that is not a pre-process flow is reported there.
            let preprocess_flow = PREPROCESS_FLOW.at(from.span());
            let (name, id) = (
                quote_spanned! {from.span()=> <#from as #preprocess_flow>::NAME },
                quote_spanned! {from.span()=> <#from as #preprocess_flow>::ID },
            );
            quote!(#TRIGGER::Event { preprocess: #name, preprocess_id: #id, event: #event })
        }
        KindDef::Source { broker, .. } => {
            let broker = match broker {
                BrokerDef::Nats { subject, stream } => quote!(#BROKER::Nats { subject: #subject, stream: #stream }),
                BrokerDef::Amqp { queue } => quote!(#BROKER::Amqp { queue: #queue }),
                BrokerDef::Mqtt { topic } => quote!(#BROKER::Mqtt { topic: #topic }),
            };
            quote!(#TRIGGER::Source { broker: #broker })
        }
    }
}

/// `Policy { …the options given…, ..Policy::DEFAULT }`.
fn policy(policy: &PolicyDef) -> TokenStream {
    let mut fields = Vec::new();
    if let Some(retries) = policy.retries {
        fields.push(quote!(retries: #retries,));
    }
    if let Some((min, max)) = policy.backoff {
        let (min, max) = (duration_tokens(min), duration_tokens(max));
        fields.push(quote!(backoff_min: #min, backoff_max: #max,));
    }
    if let Some(concurrency) = policy.concurrency {
        fields.push(quote!(concurrency: ::std::option::Option::Some(#concurrency),));
    }
    if let Some(ordered) = policy.ordered {
        fields.push(quote!(ordered: #ordered,));
    }
    if let Some(dedupe) = &policy.dedupe {
        let dedupe = request_key(dedupe);
        fields.push(quote!(dedupe: ::std::option::Option::Some(#dedupe),));
    }
    if let Some(window) = policy.dedupe_window {
        let window = duration_tokens(window);
        fields.push(quote!(dedupe_window: #window,));
    }
    if let Some(max_body) = policy.max_body {
        let max_body = max_body as usize;
        fields.push(quote!(max_body: #max_body,));
    }
    if let Some(timeout) = policy.timeout {
        let timeout = duration_tokens(timeout);
        fields.push(quote!(timeout: #timeout,));
    }
    if policy.keep.is_some() || policy.keep_dead.is_some() || policy.keep_payload.is_some() {
        let kept = optional_duration_tokens;
        let (keep, keep_dead, keep_payload) = (kept(policy.keep), kept(policy.keep_dead), kept(policy.keep_payload));
        fields.push(quote!(retention: #RETENTION { keep: #keep, keep_dead: #keep_dead, keep_payload: #keep_payload },));
    }
    quote!(#POLICY { #(#fields)* ..#POLICY::DEFAULT })
}

fn request_key(key: &RequestKey) -> TokenStream {
    match key {
        RequestKey::Header(name) => quote!(#REQUEST_KEY::Header(#name)),
        RequestKey::Json(pointer) => quote!(#REQUEST_KEY::Json(#pointer)),
    }
}

/// `verify` and `handshake` as runtime values (`None` when not given).
fn endpoint_options(endpoint: &EndpointDef, config: &Type) -> (TokenStream, TokenStream) {
    let some = |value: Option<TokenStream>| match value {
        Some(value) => quote!(::std::option::Option::Some(#value)),
        None => quote!(::std::option::Option::None),
    };
    (
        some(endpoint.verify.as_ref().map(|verify| verifier(verify, config))),
        some(endpoint.handshake.as_ref().map(|handshake| handshake_value(handshake, config))),
    )
}

/// The runtime's `Verifier<C>` for `verify = …`.
fn verifier(verify: &VerifyAttr, config: &Type) -> TokenStream {
    match verify {
        VerifyAttr::Custom(path) => {
            let verifier = VERIFIER.at(path.span());
            quote_spanned! {path.span()=> #verifier::Custom(#path) }
        }
        VerifyAttr::Signed { scheme, secrets } => {
            let scheme = match scheme {
                Scheme::HmacSha256 { header, prefix, base64 } => {
                    let prefix = prefix.as_ref().map(syn::LitStr::value).unwrap_or_default();
                    let encoding = if *base64 { quote!(Base64) } else { quote!(Hex) };
                    quote!(#SCHEME::HmacSha256 { header: #header, prefix: #prefix, encoding: #ENCODING::#encoding })
                }
                Scheme::StandardWebhooks => quote!(#SCHEME::StandardWebhooks),
                Scheme::Stripe => quote!(#SCHEME::Stripe),
                Scheme::Slack => quote!(#SCHEME::Slack),
            };
            let secrets = secrets_of(secrets, config, "secrets");
            quote!(#VERIFIER::Signed { scheme: #scheme, secrets: #secrets })
        }
    }
}

fn handshake_value(handshake: &HandshakeAttr, config: &Type) -> TokenStream {
    match handshake {
        HandshakeAttr::Slack => quote!(#HANDSHAKE::Slack),
        HandshakeAttr::Sns { host } => {
            let host = match host {
                Some(host) => quote!(::std::option::Option::Some(#host)),
                None => quote!(::std::option::Option::None),
            };
            quote!(#HANDSHAKE::Sns { host: #host })
        }
        HandshakeAttr::HubChallenge { verify_token } => {
            let verify_token = secrets_of(std::slice::from_ref(verify_token), config, "verify_token");
            quote!(#HANDSHAKE::HubChallenge { verify_token: #verify_token })
        }
    }
}

/// A `fn(&Config) -> Vec<(&str, &Secret)>` reading `fields`, each secret with its field's
/// name. Each read is spanned at its field's name: a missing field, or one that is not a
/// `Secret`, is reported where it is named.
fn secrets_of(fields: &[Ident], config: &Type, function: &str) -> TokenStream {
    let function = Ident::new(function, Span::call_site());
    let collect = fields.iter().map(|field| {
        let secret_field = SECRET_FIELD.at(field.span());
        let name = field.to_string();
        quote_spanned! {field.span()=>
            #secret_field::collect(&config.#field, #name, &mut all);
        }
    });
    quote! {{
        fn #function(config: &#config) -> ::std::vec::Vec<(&'static str, &#SECRET)> {
            let mut all = ::std::vec::Vec::new();
            #(#collect)*
            all
        }
        #function
    }}
}

/// A sync flow's `callback_hosts` and `callback_secret`, read from the configuration; each read
/// is spanned at its field, so a field of the wrong type is reported where it is named.
fn callbacks_of(callbacks: &CallbacksDef, config: &Type) -> TokenStream {
    let CallbacksDef { hosts, secret } = callbacks;
    let callback_hosts = CALLBACK_HOSTS.at(hosts.span());
    let read_hosts = quote_spanned! {hosts.span()=> #callback_hosts::read(&config.#hosts) };
    let callback_secret = CALLBACK_SECRET.at(secret.span());
    let read_secret = quote_spanned! {secret.span()=> #callback_secret::read(&config.#secret) };
    quote! {
        ::std::option::Option::Some({
            fn callbacks(config: &#config) -> #CALLBACKS {
                #CALLBACKS { hosts: #read_hosts, secret: #read_secret }
            }
            callbacks
        })
    }
}

/// A source's `url = field`: the broker URL from the instance's configuration.
/// Reads `field` of the configuration through `read` (`BrokerUrl`, `CronField`), whose trait
/// says, spanned at the field, what the field's type must be.
fn from_config(field: &Ident, config: &Type, read: RuntimePath) -> TokenStream {
    let read = read.at(field.span());
    let value = quote_spanned! {field.span()=> #read::read(&config.#field) };
    quote! {
        ::std::option::Option::Some({
            fn from_config(config: &#config) -> ::std::option::Option<::std::string::String> {
                #value
            }
            from_config
        })
    }
}

/// How the runtime calls the flow: with its `Ctx` and the extractors read from the request,
/// or with its `Activation`; a pre-process flow runs nothing of its own.
fn handler(item: &FlowItem, def: &FlowDef) -> TokenStream {
    let FlowItem::Function(function) = item else { return quote!(#HANDLER::Dispatch) };
    let name = &def.name;
    let result_type = super::result_type(function);
    // Spanned at the return type, so a result that is not `Result<T: Serialize>` is reported there.
    let flow_result = match def.kind {
        KindDef::Sync { .. } => SYNC_RESULT.at(result_type.span()),
        _ => FLOW_RESULT.at(result_type.span()),
    };
    let into_output = quote_spanned! {result_type.span()=> <#result_type as #flow_result>::into_output };
    // Hygienic names, so a flow called `ctx`, `request` or `activation` is still the one called.
    let (ctx, request, activation) = (mixed("ctx"), mixed("request"), mixed("activation"));
    match (&def.kind, &def.registration) {
        // What on_activate registered, as stored with the instance, read into the hook's type.
        (KindDef::OnDeactivate, Some(registration)) => {
            let registered = mixed("registered");
            quote! {
                #HANDLER::Lifecycle(|#activation| {
                    ::std::boxed::Box::pin(async move {
                        let #registered = #activation.registered::<#registration>()?;
                        #into_output(#name(#activation, #registered).await)
                    })
                })
            }
        }
        (KindDef::OnActivate | KindDef::OnDeactivate, _) => quote! {
            #HANDLER::Lifecycle(|#activation| {
                ::std::boxed::Box::pin(async move { #into_output(#name(#activation).await) })
            })
        },
        _ => {
            let arguments: Vec<Ident> = (0..def.extractors.len())
                .map(|index| Ident::new(&format!("argument{index}"), Span::mixed_site()))
                .collect();
            quote! {
                #HANDLER::Event {
                    check: |#request| #name::extract(#request).map(|_| ()),
                    run: |#ctx, #request| {
                        ::std::boxed::Box::pin(async move {
                            let (#(#arguments,)*) = #name::extract(&#request)?;
                            #into_output(#name(#ctx, #(#arguments),*).await)
                        })
                    },
                }
            }
        }
    }
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}
