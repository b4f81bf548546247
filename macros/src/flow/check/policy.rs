//! The run policy options checked: retries, backoff, concurrency, order, delivery ids and body
//! size, each within what it can mean.

use super::values::{duration, parse_duration, request_key, whole_number};
use crate::errors::Errors;
use crate::flow::def::{Overlap, PolicyDef};
use crate::flow::parse::{EndpointOptions, FlowAttr, PreprocessAttr, RunOptions};
use std::time::Duration;
use syn::{Ident, LitBool, LitStr};

/// More retries than this are a mistake: a run that failed 100 times needs a person.
const MAX_RETRIES: u64 = 100;

/// The policy the flow's run options (queued flows) and endpoint options (endpoints) set.
pub(super) fn check(attr: &FlowAttr, errors: &mut Errors) -> PolicyDef {
    let (run, endpoint) = match attr {
        FlowAttr::Webhook { run, endpoint, .. } | FlowAttr::Sync { run, endpoint, .. } => (Some(run), Some(endpoint)),
        FlowAttr::Preprocess(PreprocessAttr { endpoint, .. }) => (None, Some(endpoint)),
        FlowAttr::Schedule { run, .. } | FlowAttr::Event { run, .. } | FlowAttr::Source { run, .. } => {
            (Some(run), None)
        }
        FlowAttr::OnActivate | FlowAttr::OnDeactivate => (None, None),
    };
    let mut policy = PolicyDef::default();
    if let Some(RunOptions { retries, backoff: range, concurrency, ordered, timeout, keep, keep_dead, keep_payload }) =
        run
    {
        policy.retries =
            retries.as_ref().and_then(|n| whole_number("retries", n, 0, MAX_RETRIES, errors)).map(|n| n as u32);
        policy.backoff = range.as_ref().and_then(|range| backoff(range, errors));
        policy.concurrency = concurrency
            .as_ref()
            .and_then(|n| whole_number("concurrency", n, 1, u32::MAX.into(), errors))
            .map(|n| n as u32);
        policy.ordered = ordered.as_ref().map(|flag| flag.value);
        let duration_of = |key, text: &Option<LitStr>, errors: &mut Errors| {
            text.as_ref().and_then(|text| duration(key, text, errors))
        };
        policy.timeout = duration_of("timeout", timeout, errors);
        policy.keep = duration_of("keep", keep, errors);
        policy.keep_dead = duration_of("keep_dead", keep_dead, errors);
        policy.keep_payload = duration_of("keep_payload", keep_payload, errors);
    }
    if let FlowAttr::Schedule { overlap: Some(word), run, .. } = attr {
        policy.ordered = ordered_by_overlap(word, run.ordered.as_ref(), errors).or(policy.ordered);
    }
    if let Some(EndpointOptions { dedupe, dedupe_window, max_body: size, .. }) = endpoint {
        policy.dedupe = dedupe.as_ref().filter(|key| request_key(key, errors)).cloned();
        policy.dedupe_window = dedupe_window.as_ref().and_then(|window| duration("dedupe_window", window, errors));
        policy.max_body = size.as_ref().and_then(|size| max_body(size, errors));
    }
    policy
}

/// `overlap = queue` runs an instance's ticks one at a time, in order: it is `ordered = true`,
/// and contradicts `ordered = false` (as `allow` contradicts `ordered = true`).
/// (A word that names no policy is reported where the kind is defined.)
fn ordered_by_overlap(overlap: &Ident, ordered: Option<&LitBool>, errors: &mut Errors) -> Option<bool> {
    let named = Overlap::named(overlap);
    let queue = named == Some(Overlap::Queue);
    if let Some(ordered) = ordered.filter(|ordered| ordered.value != queue && (queue || named == Some(Overlap::Allow)))
    {
        errors.at(
            ordered,
            format!(
                "`overlap = {overlap}` and `ordered = {}` contradict each other: `overlap = queue` runs an instance's \
                 ticks one at a time, in order, and `overlap = allow` runs them side by side; drop `ordered`",
                ordered.value
            ),
        );
    }
    queue.then_some(true)
}

/// `"MIN..MAX"`: the first retry waits about MIN, each later one twice as long, never more than MAX.
fn backoff(text: &LitStr, errors: &mut Errors) -> Option<(Duration, Duration)> {
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

fn max_body(text: &LitStr, errors: &mut Errors) -> Option<u64> {
    match text.value().trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
        _ => {
            errors.at(text, "`max_body` takes a size such as \"512KB\", \"5MB\" or \"1MiB\"");
            None
        }
    }
}
