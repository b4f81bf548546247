//! The options of `#[component(rate = "10/s")]` on a struct and `#[action(undo = …, timeout =
//! "…")]` on a method, each checked here so that a wrong value is reported where it is written.

use crate::errors::Errors;
use proc_macro2::TokenStream;
use std::time::Duration;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, MetaNameValue, Token};

/// What `#[action(…)]` says.
#[derive(Default)]
pub(super) struct ActionOptions {
    /// The method that removes what the action created.
    pub undo: Option<Ident>,
    pub timeout: Option<Duration>,
}

const ACTION_OPTIONS: &str = "#[action] takes `undo = method` (the method of this component that removes what the \
     action created, called if an on_activate hook fails after it) and `timeout = \"30s\"` (how long a call may take, \
     1 minute by default), e.g. #[action(undo = delete_hook, timeout = \"10s\")]";

pub(super) fn action_options(attr: &syn::Attribute, errors: &mut Errors) -> ActionOptions {
    let mut options = ActionOptions::default();
    let syn::Meta::List(list) = &attr.meta else { return options };
    for option in name_values(&list.tokens, ACTION_OPTIONS, errors) {
        match (option.path.get_ident().map(Ident::to_string).as_deref(), &option.value) {
            (Some("undo"), Expr::Path(method)) if method.path.get_ident().is_some() => {
                options.undo = method.path.get_ident().cloned()
            }
            (Some("timeout"), Expr::Lit(ExprLit { lit: Lit::Str(text), .. })) => {
                options.timeout = duration(text, "timeout", errors)
            }
            _ => errors.at(&option, ACTION_OPTIONS),
        }
    }
    options
}

const COMPONENT_OPTIONS: &str = "#[component] on a struct takes `rate = \"10/s\"`: at most that many calls of its \
     actions per instance, across the instance's runs (a count per `s`, `m`, `h` or a duration, e.g. \"100/15m\"); \
     on its `impl` block it takes none";

/// `rate = "N/unit"`, as a count and a period.
pub(super) fn rate(attr: TokenStream, errors: &mut Errors) -> Option<(u32, Duration)> {
    let mut rate = None;
    for option in name_values(&attr, COMPONENT_OPTIONS, errors) {
        match (option.path.is_ident("rate"), &option.value) {
            (true, Expr::Lit(ExprLit { lit: Lit::Str(text), .. })) => rate = parse_rate(text, errors),
            _ => errors.at(&option, COMPONENT_OPTIONS),
        }
    }
    rate
}

fn parse_rate(text: &LitStr, errors: &mut Errors) -> Option<(u32, Duration)> {
    let value = text.value();
    let parsed = value.split_once('/').and_then(|(count, per)| {
        let count: u32 = count.trim().parse().ok().filter(|count| *count > 0)?;
        let per = match per.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            other => humantime::parse_duration(other).ok().filter(|per| !per.is_zero())?,
        };
        Some((count, per))
    });
    if parsed.is_none() {
        errors.at(
            text,
            format!("`rate = \"{value}\"` is not a count per time; write e.g. \"10/s\", \"600/m\" or \"100/15m\""),
        );
    }
    parsed
}

fn duration(text: &LitStr, option: &str, errors: &mut Errors) -> Option<Duration> {
    let parsed = humantime::parse_duration(text.value().trim()).ok().filter(|duration| !duration.is_zero());
    if parsed.is_none() {
        errors.at(text, format!("`{option} = \"{}\"` is not a duration; write e.g. \"30s\" or \"2m\"", text.value()));
    }
    parsed
}

fn name_values(tokens: &TokenStream, wrong: &str, errors: &mut Errors) -> Vec<MetaNameValue> {
    if tokens.is_empty() {
        return Vec::new();
    }
    match syn::parse::Parser::parse2(Punctuated::<MetaNameValue, Token![,]>::parse_terminated, tokens.clone()) {
        Ok(options) => options.into_iter().collect(),
        Err(_) => {
            errors.at(tokens, wrong);
            Vec::new()
        }
    }
}
