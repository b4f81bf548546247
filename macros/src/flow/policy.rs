//! The run policy options of `#[flow(…)]`: retries, backoff, concurrency, order, dedupe and
//! body size, parsed and checked at compile time.

use super::request_key::RequestKey;
use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use std::time::Duration;
use syn::{Expr, ExprLit, Lit, LitStr};

/// The policy options as written; unset ones keep the runtime's defaults.
#[derive(Default)]
pub(crate) struct PolicyAttr {
    pub retries: Option<u32>,
    pub backoff: Option<(Duration, Duration)>,
    pub concurrency: Option<u32>,
    pub ordered: Option<bool>,
    pub dedupe: Option<RequestKey>,
    pub dedupe_window: Option<Duration>,
    pub max_body: Option<u64>,
}

const DEDUPE_USAGE: &str = "`dedupe` takes `header(\"X-Delivery-Id\")` or `json(\"/id\")`: where the delivery id is";

/// More retries than this are a mistake: a run that failed 100 times needs a person.
const MAX_RETRIES: u64 = 100;

impl PolicyAttr {
    /// Reads the policy option `key`; returns false when `key` is not one.
    pub(crate) fn read(&mut self, key: &str, value: &Expr, errors: &mut Errors) -> bool {
        match key {
            "retries" => self.retries = integer(key, value, 0, MAX_RETRIES, errors).map(|n| n as u32),
            "concurrency" => self.concurrency = integer(key, value, 1, u32::MAX.into(), errors).map(|n| n as u32),
            "ordered" => self.ordered = boolean(key, value, errors),
            "backoff" => self.backoff = backoff(value, errors),
            "dedupe" => self.dedupe = RequestKey::parse(value, DEDUPE_USAGE, errors),
            "dedupe_window" => self.dedupe_window = duration_value(key, value, errors),
            "max_body" => self.max_body = size(value, errors),
            _ => return false,
        }
        true
    }

    /// `Policy { …set fields…, ..Policy::DEFAULT }`.
    pub(crate) fn expand(&self) -> TokenStream {
        let mut fields = Vec::new();
        if let Some(retries) = self.retries {
            fields.push(quote!(retries: #retries,));
        }
        if let Some((min, max)) = self.backoff {
            let (min, max) = (millis(min), millis(max));
            fields.push(quote!(backoff_min: ::std::time::Duration::from_millis(#min), backoff_max: ::std::time::Duration::from_millis(#max),));
        }
        if let Some(concurrency) = self.concurrency {
            fields.push(quote!(concurrency: ::std::option::Option::Some(#concurrency),));
        }
        if let Some(ordered) = self.ordered {
            fields.push(quote!(ordered: #ordered,));
        }
        if let Some(dedupe) = &self.dedupe {
            let dedupe = dedupe.expand();
            fields.push(quote!(dedupe: ::std::option::Option::Some(#dedupe),));
        }
        if let Some(window) = self.dedupe_window {
            let window = millis(window);
            fields.push(quote!(dedupe_window: ::std::time::Duration::from_millis(#window),));
        }
        if let Some(max_body) = self.max_body {
            let max_body = max_body as usize;
            fields.push(quote!(max_body: #max_body,));
        }
        quote!(::aqueduct::__private::Policy { #(#fields)* ..::aqueduct::__private::Policy::DEFAULT })
    }
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

fn integer(key: &str, value: &Expr, min: u64, max: u64, errors: &mut Errors) -> Option<u64> {
    let Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) = value else {
        errors.at(value, format!("`{key}` takes a whole number, e.g. `{key} = {}`", min.max(3)));
        return None;
    };
    match int.base10_parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.at(int, format!("`{key}` takes a whole number from {min} to {max}"));
            None
        }
    }
}

fn boolean(key: &str, value: &Expr, errors: &mut Errors) -> Option<bool> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Bool(flag), .. }) => Some(flag.value),
        _ => {
            errors.at(value, format!("`{key}` takes `true` or `false`"));
            None
        }
    }
}

fn string<'a>(key: &str, value: &'a Expr, example: &str, errors: &mut Errors) -> Option<&'a LitStr> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Some(text),
        _ => {
            errors.at(value, format!("`{key}` takes a string, e.g. `{key} = \"{example}\"`"));
            None
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|error| format!("`{text}` is not a duration ({error})"))
}

fn duration_value(key: &str, value: &Expr, errors: &mut Errors) -> Option<Duration> {
    let text = string(key, value, "7d", errors)?;
    match parse_duration(&text.value()) {
        Ok(duration) if !duration.is_zero() => Some(duration),
        Ok(_) => {
            errors.at(text, format!("`{key}` must be longer than zero"));
            None
        }
        Err(problem) => {
            errors.at(text, format!("{problem}; write a duration such as \"30s\", \"10m\", \"12h\" or \"7d\""));
            None
        }
    }
}

/// `"MIN..MAX"`: the first retry waits about MIN, each later one twice as long, never more than MAX.
fn backoff(value: &Expr, errors: &mut Errors) -> Option<(Duration, Duration)> {
    let text = string("backoff", value, "1s..10m", errors)?;
    let written = text.value();
    let Some((min, max)) = written.split_once("..") else {
        errors.at(text, format!("`backoff` is a range of delays, \"MIN..MAX\", e.g. \"1s..10m\"; found \"{written}\""));
        return None;
    };
    match (parse_duration(min), parse_duration(max)) {
        (Ok(min), Ok(max)) if !min.is_zero() && min <= max => Some((min, max)),
        (Ok(_), Ok(_)) => {
            errors.at(text, "in `backoff = \"MIN..MAX\"`, MIN must be above zero and no longer than MAX");
            None
        }
        (Err(problem), _) | (_, Err(problem)) => {
            errors.at(text, format!("{problem}; write `backoff` as \"MIN..MAX\", e.g. \"1s..10m\""));
            None
        }
    }
}

fn size(value: &Expr, errors: &mut Errors) -> Option<u64> {
    let text = string("max_body", value, "5MB", errors)?;
    match text.value().trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
        _ => {
            errors.at(text, "`max_body` takes a size such as \"512KB\", \"5MB\" or \"1MiB\"");
            None
        }
    }
}
