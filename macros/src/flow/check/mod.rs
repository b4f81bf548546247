//! Step 2: the attribute and the item it marks, checked together into a [`FlowDef`]: every
//! value valid, every option the kind needs present, the function's signature what the kind
//! calls. Nothing is generated from a flow that does not pass.

mod policy;
mod signature;
pub(crate) mod values;

use super::FlowItem;
use super::def::{BrokerDef, CallbacksDef, EndpointDef, FlowDef, KindDef, PolicyDef, TimingDef};
use super::kind::{Kind, METHOD_USAGE};
use super::parse::{CronAttr, EndpointOptions, FlowAttr, HandshakeAttr, PreprocessAttr};
use crate::errors::Errors;
use crate::schedule::{check_cron, check_time_zone};
use proc_macro2::Span;
use signature::FlowSignature;
use syn::{LitStr, Type};

pub(crate) fn check(item: &FlowItem, attr: FlowAttr, errors: &mut Errors) -> Option<FlowDef> {
    let kind = attr.kind();
    if !item_fits(item, kind, errors) {
        return None;
    }
    let mut policy = policy::check(&attr, errors);
    let attr = without_invalid_values(attr, errors);
    // A missing option is often a misspelled or invalid one, reported already.
    let required = Required { report: errors.is_empty(), kind };
    let (definition, declared_config) = define(attr, &mut policy, &required, errors);
    let (config, extractors, registration) = match item {
        FlowItem::Function(function) => {
            let signature = FlowSignature::check(function, kind, errors)?;
            (signature.config, signature.extractors, signature.registration)
        }
        FlowItem::Endpoint(_) => (declared_config?, Vec::new(), None),
    };
    let kind = definition?;
    errors.is_empty().then(|| FlowDef {
        name: item.name().clone(),
        vis: item.vis().clone(),
        config,
        kind,
        policy,
        extractors,
        registration,
    })
}

/// A pre-process flow is a unit struct; every other kind is an `async fn`.
fn item_fits(item: &FlowItem, kind: Kind, errors: &mut Errors) -> bool {
    match item {
        FlowItem::Function(function) if kind == Kind::Preprocess => errors.at(
            &function.sig.ident,
            "#[flow(preprocess, …)] goes on a unit struct naming the endpoint, e.g. `struct GitHub;`; \
             the events it receives go to flows marked #[flow(event = \"…\", from = GitHub)]",
        ),
        FlowItem::Function(_) => {}
        FlowItem::Endpoint(endpoint) => {
            if kind != Kind::Preprocess {
                errors.at(
                    &endpoint.ident,
                    format!("#[flow] on a struct declares a pre-process endpoint; {} goes on an `async fn`", kind.a()),
                );
            }
            if !matches!(endpoint.fields, syn::Fields::Unit) {
                errors.at(
                    &endpoint.fields,
                    format!("a pre-process flow is a unit struct: write `struct {};`", endpoint.ident),
                );
            }
        }
    }
    errors.is_empty()
}

/// The attribute without the values that do not check (each reported): paths, cron and time
/// zone, routes, source addresses.
fn without_invalid_values(mut attr: FlowAttr, errors: &mut Errors) -> FlowAttr {
    match &mut attr {
        FlowAttr::Webhook { path, .. } | FlowAttr::Sync { path, .. } => {
            drop_invalid(path, values::endpoint_path, errors)
        }
        FlowAttr::Preprocess(PreprocessAttr { path, route, .. }) => {
            drop_invalid(path, values::endpoint_path, errors);
            drop_invalid(route, values::request_key, errors);
        }
        FlowAttr::Schedule { cron, tz, .. } => {
            let written = |cron: &CronAttr, errors: &mut Errors| match cron {
                CronAttr::Written(cron) => reported(check_cron(&cron.value()), cron, errors),
                // Each instance's is checked when it is activated.
                CronAttr::Config(_) => true,
            };
            drop_invalid(cron, written, errors);
            drop_invalid(tz, |tz, errors| reported(check_time_zone(&tz.value()), tz, errors), errors);
        }
        FlowAttr::Source { kind, address, qos, .. } => {
            let kind = *kind;
            drop_invalid(address, |address, errors| values::source_address(kind, address, errors), errors);
            drop_invalid(qos, values::qos, errors);
        }
        FlowAttr::Event { .. } | FlowAttr::OnActivate | FlowAttr::OnDeactivate => {}
    }
    attr
}

/// Empties `value` when `check` finds it invalid.
fn drop_invalid<T>(value: &mut Option<T>, check: impl FnOnce(&T, &mut Errors) -> bool, errors: &mut Errors) {
    if value.as_ref().is_some_and(|value| !check(value, errors)) {
        *value = None;
    }
}

/// Whether a check passed; its message is reported at `at` when not.
fn reported(checked: Result<(), String>, at: &LitStr, errors: &mut Errors) -> bool {
    checked.map_err(|message| errors.at(at, message)).is_ok()
}

/// Reports an option the kind needs and does not have, unless other errors came first.
struct Required {
    report: bool,
    kind: Kind,
}

impl Required {
    fn need<T>(&self, value: Option<T>, what: &str, errors: &mut Errors) -> Option<T> {
        if value.is_none() && self.report {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!("{} needs {what}, as in {}", self.kind.a(), self.kind.example()),
            ));
        }
        value
    }
}

/// How long a sync flow's caller waits for its answer when the flow says nothing.
const DEFAULT_SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

const PATH: &str = "`path = \"/…\"`, the URL path it is served at under /hooks/{instance}";

/// The kind's definition, with all it needs; and a pre-process flow's declared config type.
fn define(
    attr: FlowAttr,
    policy: &mut PolicyDef,
    required: &Required,
    errors: &mut Errors,
) -> (Option<KindDef>, Option<Type>) {
    let definition = match attr {
        FlowAttr::Webhook { path, endpoint, .. } => {
            let endpoint = endpoint_def(endpoint, policy, required, errors);
            let path = required.need(path, PATH, errors);
            path.zip(endpoint).map(|(path, endpoint)| KindDef::Webhook { path, endpoint })
        }
        FlowAttr::Sync { path, method, callback_hosts, callback_secret, endpoint, .. } => {
            let endpoint = endpoint_def(endpoint, policy, required, errors);
            let get = match &method {
                Some(word) if word == "GET" => Some(true),
                Some(word) if word == "POST" => Some(false),
                Some(word) => {
                    errors.at(word, format!("{METHOD_USAGE}, not `{word}`"));
                    None
                }
                None => Some(false),
            };
            let callbacks = match (callback_hosts, callback_secret) {
                (Some(hosts), Some(secret)) => Some(Some(CallbacksDef { hosts, secret })),
                (None, None) => Some(None),
                (hosts, _) => {
                    let (given, missing) = if hosts.is_some() {
                        ("callback_hosts", "callback_secret")
                    } else {
                        ("callback_secret", "callback_hosts")
                    };
                    errors.push(syn::Error::new(
                        Span::call_site(),
                        format!(
                            "`{given}` without `{missing}`: a sync flow calls back only hosts on the instance's \
                             allow-list, signing each callback; name both fields, e.g. \
                             `callback_hosts = callback_hosts, callback_secret = callback_secret`"
                        ),
                    ));
                    None
                }
            };
            // For a sync flow, `timeout` is how long its caller waits; the attempt keeps the default.
            let wait = policy.timeout.take().unwrap_or(DEFAULT_SYNC_WAIT);
            let path = required.need(path, PATH, errors);
            match (path, get, callbacks, endpoint) {
                (Some(path), Some(get), Some(callbacks), Some(endpoint)) => {
                    Some(KindDef::Sync { path, get, wait, callbacks, endpoint })
                }
                _ => None,
            }
        }
        FlowAttr::Schedule { cron, tz, overlap, catch_up, jitter, backfill, .. } => {
            let tz = tz.unwrap_or_else(|| LitStr::new("UTC", Span::call_site()));
            let timing = TimingDef {
                overlap: overlap.as_ref().and_then(|word| values::overlap(word, errors)).unwrap_or_default(),
                catch_up: catch_up.as_ref().and_then(|text| values::duration("catch_up", text, errors)),
                jitter: jitter.as_ref().and_then(|text| values::duration("jitter", text, errors)),
                backfill: backfill.is_some_and(|flag| flag.value),
            };
            cron.map(|cron| KindDef::Schedule { cron, tz, timing })
        }
        FlowAttr::OnActivate => Some(KindDef::OnActivate),
        FlowAttr::OnDeactivate => Some(KindDef::OnDeactivate),
        FlowAttr::Preprocess(PreprocessAttr { path, config, route, unhandled, endpoint }) => {
            let endpoint = endpoint_def(endpoint, policy, required, errors);
            let reject_unhandled = match &unhandled {
                Some(unhandled) => values::unhandled(unhandled, errors),
                None => Some(false),
            };
            let path = required.need(path, PATH, errors);
            let config = required.need(config, "`config = YourConfig`, the integration's configuration type", errors);
            let route = required.need(
                route,
                "`route = header(\"…\")` or `route = json(\"/…\")`, where each delivery names its event",
                errors,
            );
            let definition = match (path, route, reject_unhandled, endpoint) {
                (Some(path), Some(route), Some(reject_unhandled), Some(endpoint)) => {
                    Some(KindDef::Preprocess { path, route, reject_unhandled, endpoint })
                }
                _ => None,
            };
            return (definition, config);
        }
        FlowAttr::Event { event, from, .. } => {
            let from =
                required.need(from, "`from = …`, the pre-process flow whose endpoint receives its events", errors);
            event.zip(from).map(|(event, from)| KindDef::Event { event, from })
        }
        FlowAttr::Source { kind, address, stream, url, .. } => {
            let broker = match kind {
                Kind::Nats => {
                    let stream = required.need(
                        stream,
                        "`stream = \"…\"`, the JetStream stream that keeps its messages until they are acknowledged",
                        errors,
                    );
                    address.zip(stream).map(|(subject, stream)| BrokerDef::Nats { subject, stream })
                }
                Kind::Amqp => address.map(|queue| BrokerDef::Amqp { queue }),
                _ => address.map(|topic| BrokerDef::Mqtt { topic }),
            };
            broker.map(|broker| KindDef::Source { broker, url })
        }
    };
    (definition, None)
}

/// An endpoint's signature check and handshake: `handshake = slack` needs a verified
/// signature, and `dedupe_window` a `dedupe`.
fn endpoint_def(
    endpoint: EndpointOptions,
    policy: &PolicyDef,
    required: &Required,
    errors: &mut Errors,
) -> Option<EndpointDef> {
    let EndpointOptions { verify, handshake, dedupe_window, .. } = endpoint;
    let mut fits = true;
    if matches!(handshake, Some(HandshakeAttr::Slack)) && verify.is_none() {
        fits = false;
        if required.report {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`handshake = slack` answers Slack's challenge, which only a request Slack signed may ask; \
                 add `verify = slack(secret = signing_secret)`, naming the configuration field with the signing secret",
            ));
        }
    }
    if dedupe_window.is_some() && policy.dedupe.is_none() {
        fits = false;
        if required.report {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`dedupe_window` says how long delivery ids are remembered, but this flow has no `dedupe`; \
                 add e.g. `dedupe = header(\"X-Delivery-Id\")`",
            ));
        }
    }
    fits.then_some(EndpointDef { verify, handshake })
}
