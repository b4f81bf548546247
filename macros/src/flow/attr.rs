//! Reads `#[flow(…)]` into a typed [`FlowAttr`], reporting every mistake with its span.

use super::endpoint::{HandshakeAttr, ROUTE_USAGE, parse_unhandled};
use super::kind::{Kind, all_keys, option_rule};
use super::policy::PolicyAttr;
use super::request_key::RequestKey;
use super::verify::VerifyAttr;
use crate::errors::Errors;
use crate::schedule::{check_cron, check_time_zone};
use crate::suggest::did_you_mean;
use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ExprPath, Lit, LitStr, Meta, Path, Token, Type};

/// What `#[flow(…)]` declared, after validation.
pub(crate) struct FlowAttr {
    pub kind: Kind,
    /// Webhook flows: the path under `/hooks/{instance}`.
    pub path: Option<LitStr>,
    /// Schedule flows: the cron expression and the time zone (UTC when not given).
    pub cron: Option<LitStr>,
    pub tz: Option<LitStr>,
    /// Retries, backoff, concurrency, order, dedupe, body size.
    pub policy: PolicyAttr,
    /// How the endpoint checks signatures.
    pub verify: Option<VerifyAttr>,
    /// How the endpoint answers a provider's subscription handshake.
    pub handshake: Option<HandshakeAttr>,
    /// Event flows: the event's name, and the pre-process flow it comes from.
    pub event: Option<LitStr>,
    pub preprocess: Option<Path>,
    /// Pre-process flows: the configuration type, where the event is, and whether an event
    /// no flow takes is refused (404) rather than ignored.
    pub config: Option<Type>,
    pub route: Option<RequestKey>,
    pub reject_unhandled: bool,
    /// Sources: the subject, queue or topic; the NATS stream; the broker URL field.
    pub address: Option<LitStr>,
    pub stream: Option<LitStr>,
    pub url: Option<syn::Ident>,
}

/// One `key` or `key = value` as written, before it is interpreted.
struct RawOption {
    key: syn::Ident,
    value: Option<Expr>,
    meta: Meta,
}

impl FlowAttr {
    /// Parses and validates the attribute; `None` when there were errors (recorded in `errors`).
    pub(crate) fn parse(attr: TokenStream, errors: &mut Errors) -> Option<FlowAttr> {
        let metas = match syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, attr) {
            Ok(metas) => metas,
            Err(error) => {
                errors.push(error);
                return None;
            }
        };
        let options: Vec<RawOption> = metas.into_iter().filter_map(|meta| read_option(meta, errors)).collect();
        reject_repeated_keys(&options, errors);

        let kinds: Vec<(Kind, &RawOption)> =
            options.iter().filter_map(|option| Some((Kind::from_key(&option.key.to_string())?, option))).collect();
        let (kind, _) = match kinds.as_slice() {
            [] => {
                errors.push(syn::Error::new(
                    Span::call_site(),
                    "this flow has no kind; say what triggers it with one of: `webhook`, `schedule = \"…\"`, \
                     `on_activate`, `on_deactivate`, `preprocess` or `event = \"…\"`, e.g. #[flow(webhook, path = \"/orders\")]",
                ));
                return None;
            }
            [one] => *one,
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
                return None;
            }
        };

        let mut attr = FlowAttr {
            kind,
            path: None,
            cron: None,
            tz: None,
            policy: PolicyAttr::default(),
            verify: None,
            handshake: None,
            event: None,
            preprocess: None,
            config: None,
            route: None,
            reject_unhandled: false,
            address: None,
            stream: None,
            url: None,
        };
        for option in &options {
            attr.apply(option, errors);
        }
        // A missing option is often a misspelled or invalid one, already reported.
        if errors.is_empty() {
            attr.check_required(errors);
        }
        Some(attr)
    }

    /// Interprets one option for this flow's kind.
    fn apply(&mut self, option: &RawOption, errors: &mut Errors) {
        let key = option.key.to_string();
        if let Some(kind) = Kind::from_key(&key) {
            match (&option.value, kind.has_value()) {
                (None, false) => {}
                (Some(value), true) if kind == Kind::Event => self.event = string_value(&key, value, errors),
                (Some(value), true) if kind.is_source() => {
                    self.address = string_value(&key, value, errors);
                    if let Some(address) = &self.address
                        && let Err(message) = check_source_address(kind, &address.value())
                    {
                        errors.at(address, message);
                    }
                }
                (Some(value), true) => self.cron = string_value(&key, value, errors),
                (Some(_), false) => {
                    errors.at(&option.meta, format!("`{key}` takes no value; write it alone, as in {}", kind.example()))
                }
                (None, true) => errors.at(&option.meta, format!("`{key}` needs a value, as in {}", kind.example())),
            }
            if let Some(cron) = &self.cron
                && let Err(message) = check_cron(&cron.value())
            {
                errors.at(cron, message);
            }
            return;
        }
        let Some(rule) = option_rule(&key) else { return };
        if !rule.kinds.contains(&self.kind) {
            let takes = match self.kind.options().as_slice() {
                [] => format!("{} takes no options", self.kind.a()),
                keys => format!("{} takes: {}", self.kind.a(), keys.join(", ")),
            };
            let takes = takes[..1].to_uppercase() + &takes[1..];
            errors.at(
                &option.key,
                format!("`{key}` does not apply to {}; it sets {}. {takes}", self.kind.a(), rule.meaning),
            );
            return;
        }
        let Some(value) = option_value(option, errors) else { return };
        match key.as_str() {
            "path" => self.path = string_value(&key, value, errors).filter(|path| check_path(path, errors)),
            "tz" => {
                self.tz = string_value(&key, value, errors);
                if let Some(tz) = &self.tz
                    && let Err(message) = check_time_zone(&tz.value())
                {
                    errors.at(tz, message);
                }
            }
            "verify" => self.verify = VerifyAttr::parse(value, errors),
            "handshake" => self.handshake = HandshakeAttr::parse(value, errors),
            "route" => self.route = RequestKey::parse(value, ROUTE_USAGE, errors),
            "unhandled" => self.reject_unhandled = parse_unhandled(value, errors).unwrap_or_default(),
            "config" => self.config = type_value(&key, value, errors),
            "from" => self.preprocess = path_value(&key, value, errors),
            "stream" => self.stream = string_value(&key, value, errors),
            "url" => self.url = path_value(&key, value, errors).and_then(|path| path.get_ident().cloned()),
            // QoS 1 is the only one a source takes; writing it is allowed, for those used to it.
            "qos" => {
                if !matches!(value, Expr::Lit(ExprLit { lit: Lit::Int(qos), .. }) if qos.base10_digits() == "1") {
                    errors.at(
                        value,
                        "`qos` is 1: a durable consumer acknowledges each message, which QoS 0 cannot, and QoS 2's \
                         exactly-once handshake does not survive a reconnect (a message may repeat: keep the flow idempotent)",
                    );
                }
            }
            policy_key => {
                let known = self.policy.read(policy_key, value, errors);
                assert!(known, "every option in kind::OPTIONS is interpreted here");
            }
        }
    }

    fn check_required(&self, errors: &mut Errors) {
        if matches!(self.handshake, Some(HandshakeAttr::Slack)) && self.verify.is_none() {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`handshake = slack` answers Slack's challenge, which only a request Slack signed may ask; \
                 add `verify = slack(secret = signing_secret)`, naming the configuration field with the signing secret",
            ));
        }
        if self.policy.dedupe_window.is_some() && self.policy.dedupe.is_none() {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`dedupe_window` says how long delivery ids are remembered, but this flow has no `dedupe`; \
                 add e.g. `dedupe = header(\"X-Delivery-Id\")`",
            ));
        }
        let required: &[(bool, &str)] = match self.kind {
            Kind::Webhook => {
                &[(self.path.is_some(), "`path = \"/…\"`, the URL path it is served at under /hooks/{instance}")]
            }
            Kind::Preprocess => &[
                (self.path.is_some(), "`path = \"/…\"`, the URL path it is served at under /hooks/{instance}"),
                (self.config.is_some(), "`config = YourConfig`, the integration's configuration type"),
                (
                    self.route.is_some(),
                    "`route = header(\"…\")` or `route = json(\"/…\")`, where each delivery names its event",
                ),
            ],
            Kind::Event => {
                &[(self.preprocess.is_some(), "`from = …`, the pre-process flow whose endpoint receives its events")]
            }
            Kind::Nats => &[(
                self.stream.is_some(),
                "`stream = \"…\"`, the JetStream stream that keeps its messages until they are acknowledged",
            )],
            _ => &[],
        };
        for (given, what) in required {
            if !given {
                errors.push(syn::Error::new(
                    Span::call_site(),
                    format!("{} needs {what}, as in {}", self.kind.a(), self.kind.example()),
                ));
            }
        }
    }
}

/// A source consumes each instance's messages apart, so its address names the instance.
fn check_source_address(kind: Kind, address: &str) -> Result<(), String> {
    if !address.contains("{instance}") {
        return Err(format!(
            "`{address}` has no `{{instance}}`, so every instance would consume one queue and run \
             messages with another customer's configuration; name the instance in it, as in {}",
            kind.example()
        ));
    }
    if kind == Kind::Nats && !address.split('.').any(|token| token == "{instance}") {
        return Err(format!(
            "in the NATS subject `{address}`, `{{instance}}` must be a whole token between dots, as in {}",
            kind.example()
        ));
    }
    Ok(())
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

fn option_value<'a>(option: &'a RawOption, errors: &mut Errors) -> Option<&'a Expr> {
    if option.value.is_none() {
        errors.at(&option.meta, format!("`{}` needs a value: `{} = \"…\"`", option.key, option.key));
    }
    option.value.as_ref()
}

fn type_value(key: &str, value: &Expr, errors: &mut Errors) -> Option<Type> {
    match value {
        Expr::Path(ExprPath { path, .. }) => Some(Type::Path(syn::TypePath { qself: None, path: path.clone() })),
        _ => {
            errors.at(value, format!("`{key}` takes a type, e.g. `{key} = Settings`"));
            None
        }
    }
}

fn path_value(key: &str, value: &Expr, errors: &mut Errors) -> Option<Path> {
    match value {
        Expr::Path(ExprPath { path, .. }) => Some(path.clone()),
        _ => {
            errors.at(value, format!("`{key}` names a flow, e.g. `{key} = GitHub`"));
            None
        }
    }
}

fn string_value(key: &str, value: &Expr, errors: &mut Errors) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(string), .. }) => Some(string.clone()),
        _ => {
            errors.at(value, format!("`{key}` takes a string literal, e.g. `{key} = \"…\"`"));
            None
        }
    }
}

/// A webhook path is a literal absolute URL path: it is joined to `/hooks/{instance}`.
fn check_path(path: &LitStr, errors: &mut Errors) -> bool {
    let value = path.value();
    let problem = if !value.starts_with('/') {
        Some(format!("a webhook path starts with `/`: write \"/{}\"", value.trim_start_matches('/')))
    } else if value.len() == 1 {
        Some("a webhook path names the endpoint, e.g. \"/orders\"; `/` alone is not one".to_string())
    } else if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || "/-._~".contains(*c))) {
        Some(format!("the webhook path `{value}` contains `{bad}`; a path is made of letters, digits and `/ - . _ ~`"))
    } else if value.ends_with('/') || value.contains("//") {
        Some(format!("the webhook path `{value}` has an empty segment; write it without `//` or a trailing `/`"))
    } else {
        None
    };
    if let Some(problem) = &problem {
        errors.at(path, problem);
    }
    problem.is_none()
}
