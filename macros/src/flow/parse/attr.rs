//! `#[flow(…)]` read into the attribute of its kind: the kind first, then each option the kind
//! takes, in the form that option takes. An unknown option, one of another kind, or a value
//! of the wrong form is reported here, at its span.

use super::handshake::HandshakeAttr;
use super::request_key::RequestKey;
use super::verify::VerifyAttr;
use crate::errors::Errors;
use crate::flow::kind::{Kind, METHOD_USAGE, OVERLAP_USAGE, QOS_USAGE, UNHANDLED_USAGE, all_keys, option_rule};
use crate::read::OptionValue;
use crate::suggest::did_you_mean;
use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitInt, LitStr, Meta, Path, Token, Type};

/// What `#[flow(…)]` declared: one variant per kind, with the options that kind takes. An
/// option is `None` when it was not given, or given in a form already reported.
// One per `#[flow]` expanded, and moved once: boxing a variant would not pay.
#[allow(clippy::large_enum_variant)]
pub(crate) enum FlowAttr {
    Webhook {
        path: Option<LitStr>,
        run: RunOptions,
        endpoint: EndpointOptions,
    },
    Sync {
        path: Option<LitStr>,
        method: Option<Ident>,
        callback_hosts: Option<Ident>,
        callback_secret: Option<Ident>,
        run: RunOptions,
        endpoint: EndpointOptions,
    },
    Schedule {
        cron: Option<CronAttr>,
        tz: Option<LitStr>,
        overlap: Option<Ident>,
        catch_up: Option<LitStr>,
        jitter: Option<LitStr>,
        backfill: Option<LitBool>,
        run: RunOptions,
    },
    OnActivate,
    OnDeactivate,
    Preprocess(PreprocessAttr),
    Event {
        event: Option<LitStr>,
        from: Option<Path>,
        run: RunOptions,
    },
    /// A NATS, AMQP or MQTT source; `address` is its subject, queue or topic.
    Source {
        kind: Kind,
        address: Option<LitStr>,
        stream: Option<LitStr>,
        qos: Option<LitInt>,
        url: Option<Ident>,
        run: RunOptions,
    },
}

/// Where a schedule's cron is: written in the attribute, or a field of the configuration
/// (`schedule = config(field)`), so each instance has its own.
pub(crate) enum CronAttr {
    Written(LitStr),
    Config(Ident),
}

/// What `schedule` takes.
const SCHEDULE_USAGE: &str = "`schedule` takes a cron expression, e.g. `schedule = \"*/5 * * * *\"`, or the \
     configuration field that holds each instance's, e.g. `schedule = config(sync_cron)`";

/// A pre-process endpoint: where each delivery names its event, and what to do with an event
/// no flow takes.
pub(crate) struct PreprocessAttr {
    pub path: Option<LitStr>,
    pub config: Option<Type>,
    pub route: Option<RequestKey>,
    pub unhandled: Option<LitStr>,
    pub endpoint: EndpointOptions,
}

/// How a queued flow's runs are retried, limited and ordered.
#[derive(Default)]
pub(crate) struct RunOptions {
    pub retries: Option<LitInt>,
    pub backoff: Option<LitStr>,
    pub concurrency: Option<LitInt>,
    pub ordered: Option<LitBool>,
    pub timeout: Option<LitStr>,
    pub keep: Option<LitStr>,
    pub keep_dead: Option<LitStr>,
    pub keep_payload: Option<LitStr>,
}

/// What an endpoint (a webhook or a pre-process flow) does with a delivery before it is stored.
#[derive(Default)]
pub(crate) struct EndpointOptions {
    pub dedupe: Option<RequestKey>,
    pub dedupe_window: Option<LitStr>,
    pub max_body: Option<LitStr>,
    pub verify: Option<VerifyAttr>,
    pub handshake: Option<HandshakeAttr>,
}

impl FlowAttr {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            FlowAttr::Webhook { .. } => Kind::Webhook,
            FlowAttr::Sync { .. } => Kind::Sync,
            FlowAttr::Schedule { .. } => Kind::Schedule,
            FlowAttr::OnActivate => Kind::OnActivate,
            FlowAttr::OnDeactivate => Kind::OnDeactivate,
            FlowAttr::Preprocess(_) => Kind::Preprocess,
            FlowAttr::Event { .. } => Kind::Event,
            FlowAttr::Source { kind, .. } => *kind,
        }
    }

    /// The endpoint's path, as written (checked or not).
    pub(crate) fn path(&self) -> Option<&LitStr> {
        match self {
            FlowAttr::Webhook { path, .. }
            | FlowAttr::Sync { path, .. }
            | FlowAttr::Preprocess(PreprocessAttr { path, .. }) => path.as_ref(),
            _ => None,
        }
    }
}

/// One `key` or `key = value` as written.
struct RawOption {
    key: Ident,
    value: Option<Expr>,
    meta: Meta,
}

/// Reads the attribute; `None` when its kind cannot be told (the errors say why).
pub(crate) fn parse(attr: TokenStream, errors: &mut Errors) -> Option<FlowAttr> {
    let metas = match syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, attr) {
        Ok(metas) => metas,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let options: Vec<RawOption> = metas.into_iter().filter_map(|meta| read_option(meta, errors)).collect();
    // An unknown option may be the kind, misspelled: then "no kind" would say it twice.
    let unknown_options = !errors.is_empty();
    reject_repeated_keys(&options, errors);
    let (kind, kind_option) = the_kind(&options, unknown_options, errors)?;
    let mut options = Options { given: options.iter().filter(|option| option.key != kind_option.key).collect() };
    options.keep_those_of(kind, errors);
    let value = |example, errors: &mut Errors| kind_value(kind, kind_option, example, errors);
    if !kind.has_value() && kind_option.value.is_some() {
        errors.at(
            &kind_option.meta,
            format!("`{}` takes no value; write it alone, as in {}", kind.key(), kind.example()),
        );
    }
    Some(match kind {
        Kind::Webhook => FlowAttr::Webhook {
            path: options.string("path", "/orders", errors),
            run: options.run(errors),
            endpoint: options.endpoint(errors),
        },
        Kind::Sync => FlowAttr::Sync {
            path: options.string("path", "/customers/lookup", errors),
            method: options.value("method", errors).and_then(|value| value.word_or(METHOD_USAGE, errors)),
            callback_hosts: options
                .value("callback_hosts", errors)
                .and_then(|value| value.field("callback_hosts", errors)),
            callback_secret: options
                .value("callback_secret", errors)
                .and_then(|value| value.field("callback_secret", errors)),
            run: options.run(errors),
            endpoint: options.endpoint(errors),
        },
        Kind::Schedule => FlowAttr::Schedule {
            cron: cron(kind_option, errors),
            tz: options.string("tz", "Europe/Berlin", errors),
            overlap: options.value("overlap", errors).and_then(|value| value.word_or(OVERLAP_USAGE, errors)),
            catch_up: options.string("catch_up", "1h", errors),
            jitter: options.string("jitter", "30s", errors),
            backfill: options.value("backfill", errors).and_then(|value| value.boolean(errors)),
            run: options.run(errors),
        },
        Kind::OnActivate => FlowAttr::OnActivate,
        Kind::OnDeactivate => FlowAttr::OnDeactivate,
        Kind::Preprocess => FlowAttr::Preprocess(PreprocessAttr {
            path: options.string("path", "/github", errors),
            config: options.value("config", errors).and_then(|value| value.type_path(errors)),
            route: options.value("route", errors).and_then(|value| RequestKey::parse(&value, errors)),
            unhandled: options.value("unhandled", errors).and_then(|value| value.string_or(UNHANDLED_USAGE, errors)),
            endpoint: options.endpoint(errors),
        }),
        Kind::Event => FlowAttr::Event {
            event: value("push", errors),
            from: options.value("from", errors).and_then(|value| value.flow_path(errors)),
            run: options.run(errors),
        },
        Kind::Nats | Kind::Amqp | Kind::Mqtt => FlowAttr::Source {
            kind,
            address: value("orders-{instance}", errors),
            stream: options.string("stream", "ORDERS", errors),
            qos: options.value("qos", errors).and_then(|value| value.integer_or(QOS_USAGE, errors)),
            url: options.value("url", errors).and_then(|value| value.field("broker_url", errors)),
            run: options.run(errors),
        },
    })
}

/// The one kind the options declare.
fn the_kind<'a>(options: &'a [RawOption], unknown_options: bool, errors: &mut Errors) -> Option<(Kind, &'a RawOption)> {
    // A kind given twice is one kind, whose repeat is reported already.
    let firsts =
        options.iter().enumerate().filter(|(index, option)| !options[..*index].iter().any(|o| o.key == option.key));
    let kinds: Vec<(Kind, &RawOption)> =
        firsts.filter_map(|(_, option)| Some((Kind::from_key(&option.key.to_string())?, option))).collect();
    match kinds.as_slice() {
        [] if unknown_options => None,
        [] => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "this flow has no kind; say what triggers it with one of: `webhook`, `sync`, `schedule = \"…\"`, \
                 `on_activate`, `on_deactivate`, `preprocess` or `event = \"…\"`, e.g. #[flow(webhook, path = \"/orders\")]",
            ));
            None
        }
        [one] => Some(*one),
        [(first, _), (second, option), ..] => {
            errors.at(
                &option.key,
                format!(
                    "a flow has exactly one kind, but this one is both `{}` and `{}`; \
                     write a separate function for each trigger",
                    first.key(),
                    second.key()
                ),
            );
            None
        }
    }
}

/// `schedule = "…"` or `schedule = config(field)`.
fn cron(option: &RawOption, errors: &mut Errors) -> Option<CronAttr> {
    match &option.value {
        Some(Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. })) => Some(CronAttr::Written(text.clone())),
        Some(Expr::Call(call)) if matches!(&*call.func, Expr::Path(path) if path.path.is_ident("config")) => {
            match call.args.iter().collect::<Vec<_>>().as_slice() {
                [Expr::Path(field)] if field.path.get_ident().is_some() => {
                    field.path.get_ident().cloned().map(CronAttr::Config)
                }
                _ => {
                    errors.at(call, SCHEDULE_USAGE);
                    None
                }
            }
        }
        Some(value) => {
            errors.at(value, SCHEDULE_USAGE);
            None
        }
        None => {
            errors.at(&option.meta, format!("`schedule` needs a value, as in {}", Kind::Schedule.example()));
            None
        }
    }
}

/// The value of a kind that takes one (`schedule = "…"`); `example` is a right one.
fn kind_value(kind: Kind, option: &RawOption, example: &str, errors: &mut Errors) -> Option<LitStr> {
    let key = option.key.to_string();
    match &option.value {
        Some(value) => OptionValue { key: &key, value }.string(example, errors),
        None => {
            errors.at(&option.meta, format!("`{key}` needs a value, as in {}", kind.example()));
            None
        }
    }
}

/// The options given besides the kind.
struct Options<'a> {
    given: Vec<&'a RawOption>,
}

impl<'a> Options<'a> {
    /// Drops, reporting each, the options `kind` does not take.
    fn keep_those_of(&mut self, kind: Kind, errors: &mut Errors) {
        self.given.retain(|option| {
            let key = option.key.to_string();
            let Some(rule) = option_rule(&key) else { return false };
            if rule.kinds.contains(&kind) {
                return true;
            }
            let takes = match kind.options().as_slice() {
                [] => format!("{} takes no options", kind.a()),
                keys => format!("{} takes: {}", kind.a(), keys.join(", ")),
            };
            let takes = takes[..1].to_uppercase() + &takes[1..];
            errors
                .at(&option.key, format!("`{key}` does not apply to {}; it sets {}. {takes}", kind.a(), rule.meaning));
            false
        });
    }

    /// The value of `key`, if it is given; given without one, it is reported.
    fn value(&self, key: &'a str, errors: &mut Errors) -> Option<OptionValue<'a>> {
        let option = self.given.iter().find(|option| option.key == key)?;
        match &option.value {
            Some(value) => Some(OptionValue { key, value }),
            None => {
                errors.at(&option.meta, format!("`{key}` needs a value: `{key} = \"…\"`"));
                None
            }
        }
    }

    fn string(&self, key: &'a str, example: &str, errors: &mut Errors) -> Option<LitStr> {
        self.value(key, errors).and_then(|value| value.string(example, errors))
    }

    fn run(&self, errors: &mut Errors) -> RunOptions {
        RunOptions {
            retries: self.value("retries", errors).and_then(|value| value.integer(3, errors)),
            backoff: self.string("backoff", "1s..10m", errors),
            concurrency: self.value("concurrency", errors).and_then(|value| value.integer(4, errors)),
            ordered: self.value("ordered", errors).and_then(|value| value.boolean(errors)),
            timeout: self.string("timeout", "30s", errors),
            keep: self.string("keep", "7d", errors),
            keep_dead: self.string("keep_dead", "30d", errors),
            keep_payload: self.string("keep_payload", "1d", errors),
        }
    }

    fn endpoint(&self, errors: &mut Errors) -> EndpointOptions {
        EndpointOptions {
            dedupe: self.value("dedupe", errors).and_then(|value| RequestKey::parse(&value, errors)),
            dedupe_window: self.string("dedupe_window", "7d", errors),
            max_body: self.string("max_body", "5MB", errors),
            verify: self.value("verify", errors).and_then(|value| VerifyAttr::parse(value.value, errors)),
            handshake: self.value("handshake", errors).and_then(|value| HandshakeAttr::parse(value.value, errors)),
        }
    }
}

fn read_option(meta: Meta, errors: &mut Errors) -> Option<RawOption> {
    let Some(key) = meta.path().get_ident().cloned() else {
        errors.at(meta.path(), format!("expected a flow option, one of: {}", all_keys().join(", ")));
        return None;
    };
    let name = key.to_string();
    if Kind::from_key(&name).is_none() && option_rule(&name).is_none() {
        let keys = all_keys();
        errors.at(
            &key,
            format!(
                "unknown flow option `{name}`; valid options are: {}.{}",
                keys.join(", "),
                did_you_mean(&name, keys.clone())
            ),
        );
        return None;
    }
    let value = match &meta {
        Meta::Path(_) => None,
        Meta::NameValue(pair) => Some(pair.value.clone()),
        Meta::List(list) => {
            errors.at(list, format!("write `{name} = …`, not `{name}(…)`"));
            return None;
        }
    };
    Some(RawOption { key, value, meta })
}

fn reject_repeated_keys(options: &[RawOption], errors: &mut Errors) {
    for (index, option) in options.iter().enumerate() {
        if options[..index].iter().any(|earlier| earlier.key == option.key) {
            errors.at(&option.key, format!("`{}` is given twice; keep one", option.key));
        }
    }
}
