//! Checks of single values: numbers within their range, durations, paths, header names and
//! JSON pointers, source addresses. Each error says what the value takes.

use crate::errors::Errors;
use crate::flow::def::Overlap;
use crate::flow::kind::{Kind, OVERLAP_USAGE, QOS_USAGE, UNHANDLED_USAGE};
use crate::flow::parse::RequestKey;
use std::time::Duration;
use syn::{Ident, LitInt, LitStr};

/// A whole number from `min` to `max`.
pub(super) fn whole_number(key: &str, number: &LitInt, min: u64, max: u64, errors: &mut Errors) -> Option<u64> {
    match number.base10_parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.at(number, format!("`{key}` takes a whole number from {min} to {max}"));
            None
        }
    }
}

pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|error| format!("`{text}` is not a duration ({error})"))
}

/// A duration longer than zero, such as "30s" or "7d".
pub(crate) fn duration(key: &str, text: &LitStr, errors: &mut Errors) -> Option<Duration> {
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

/// A header name a request can carry, or a JSON pointer.
pub(super) fn request_key(key: &RequestKey, errors: &mut Errors) -> bool {
    match key {
        RequestKey::Header(name) => {
            let text = name.value();
            let valid =
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid {
                errors.at(
                    name,
                    format!(
                        "`{text}` is not a header name; header names are letters, digits and `-`, e.g. \"X-GitHub-Delivery\""
                    ),
                );
            }
            valid
        }
        RequestKey::Json(pointer) => {
            let text = pointer.value();
            if !text.starts_with('/') {
                errors.at(
                    pointer,
                    format!(
                        "`json(…)` takes a JSON pointer, which starts with `/`: write \"/{}\"",
                        text.trim_start_matches(['$', '.'])
                    ),
                );
            }
            text.starts_with('/')
        }
    }
}

/// A webhook path is a literal absolute URL path: it is joined to `/hooks/{instance}`.
pub(super) fn endpoint_path(path: &LitStr, errors: &mut Errors) -> bool {
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

/// A source consumes each instance's messages apart, so its address names the instance.
pub(super) fn source_address(kind: Kind, address: &LitStr, errors: &mut Errors) -> bool {
    let text = address.value();
    let problem = if !text.contains("{instance}") {
        Some(format!(
            "`{text}` has no `{{instance}}`, so every instance would consume one queue and run \
             messages with another customer's configuration; name the instance in it, as in {}",
            kind.example()
        ))
    } else if kind == Kind::Nats && !text.split('.').any(|token| token == "{instance}") {
        Some(format!(
            "in the NATS subject `{text}`, `{{instance}}` must be a whole token between dots, as in {}",
            kind.example()
        ))
    } else {
        None
    };
    if let Some(problem) = &problem {
        errors.at(address, problem);
    }
    problem.is_none()
}

/// `qos = 1`, the only quality of service a durable source has.
pub(super) fn qos(qos: &LitInt, errors: &mut Errors) -> bool {
    let one = qos.base10_digits() == "1";
    if !one {
        errors.at(qos, QOS_USAGE);
    }
    one
}

/// `overlap = skip | queue | allow`.
pub(super) fn overlap(word: &Ident, errors: &mut Errors) -> Option<Overlap> {
    let overlap = Overlap::named(word);
    if overlap.is_none() {
        errors.at(word, OVERLAP_USAGE);
    }
    overlap
}

/// `unhandled = "ignore"` (the default: answered 202, recorded as ignored) or `"reject"` (404);
/// whether to reject.
pub(super) fn unhandled(text: &LitStr, errors: &mut Errors) -> Option<bool> {
    match text.value().as_str() {
        "ignore" => Some(false),
        "reject" => Some(true),
        _ => {
            errors.at(text, UNHANDLED_USAGE);
            None
        }
    }
}
