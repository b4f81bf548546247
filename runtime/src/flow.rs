//! Flow descriptors: what `#[flow]` emits for each flow and the runtime reads.

use crate::context::{Activation, Ctx};
use crate::error::Result;
use crate::ingress::Handshake;
use crate::ingress::{Rejection, Request};
use crate::verify::Verifier;
use backon::BackoffBuilder;
use futures::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// What starts a flow.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A POST to `/hooks/{instance}{path}`.
    Webhook { path: &'static str },
    /// A cron schedule read in a time zone.
    Schedule { cron: &'static str, tz: &'static str },
    /// Activation of a customer instance.
    OnActivate,
    /// Deactivation of a customer instance.
    OnDeactivate,
    /// A POST to `/hooks/{instance}{path}` that names its event (`route`), dispatched to the
    /// event flow that takes it.
    /// `id` is the struct's module path and name, which tells apart two of one name.
    Preprocess { id: &'static str, path: &'static str, route: RequestKey, reject_unhandled: bool },
    /// One event of a pre-process endpoint: `preprocess` is its name, `preprocess_id` its `id`.
    Event { preprocess: &'static str, preprocess_id: &'static str, event: &'static str },
    /// Messages of a broker, consumed durably for each active instance.
    Source { broker: Broker },
    /// Stands in for a flow whose definition did not compile; never reaches the runtime.
    Invalid,
}

impl Trigger {
    /// The kind's name, as `flows` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Webhook { .. } => "webhook",
            Trigger::Schedule { .. } => "schedule",
            Trigger::OnActivate => "on_activate",
            Trigger::OnDeactivate => "on_deactivate",
            Trigger::Preprocess { .. } => "preprocess",
            Trigger::Event { .. } => "event",
            Trigger::Source { broker: Broker::Nats { .. } } => "nats",
            Trigger::Source { broker: Broker::Amqp { .. } } => "amqp",
            Trigger::Source { broker: Broker::Mqtt { .. } } => "mqtt",
            Trigger::Invalid => "invalid",
        }
    }
}

/// What a run of a flow produced, recorded on the run: `None` for `()`.
#[doc(hidden)]
pub type Output = Option<serde_json::Value>;

/// How the runtime calls a flow.
#[doc(hidden)]
pub enum Handler<C: 'static> {
    /// Webhook and schedule flows: `check` refuses a bad request at the door, `run` runs it.
    Event {
        check: fn(&Request) -> std::result::Result<(), Rejection>,
        run: fn(Ctx<C>, Arc<Request>) -> BoxFuture<'static, Result<Output>>,
    },
    /// Activation hooks.
    Lifecycle(fn(Activation<C>) -> BoxFuture<'static, Result<Output>>),
    /// A pre-process endpoint, which runs nothing itself.
    Dispatch,
}

/// What a source consumes. `{instance}` in a subject, queue or topic stands for the instance's
/// name, so each instance can have its own.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broker {
    /// A NATS JetStream subject, kept by `stream` until acknowledged.
    Nats { subject: &'static str, stream: &'static str },
    /// A durable AMQP queue.
    Amqp { queue: &'static str },
    /// An MQTT topic filter, subscribed with QoS 1 or 2 in a persistent session.
    Mqtt { topic: &'static str },
}

/// A configuration field that holds a broker URL (`url = field` on a source).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a broker URL field must be a `String`, `Url` or `Secret`, not `{Self}`",
    label = "named by `url = …`",
    note = "a `Secret` keeps credentials in the URL out of logs; `Option<…>` falls back to the environment"
)]
pub trait BrokerUrl {
    fn broker_url(&self) -> Option<String>;
}

impl BrokerUrl for String {
    fn broker_url(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl BrokerUrl for url::Url {
    fn broker_url(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl BrokerUrl for crate::Secret {
    fn broker_url(&self) -> Option<String> {
        Some(self.expose().to_owned())
    }
}

impl<T: BrokerUrl> BrokerUrl for Option<T> {
    fn broker_url(&self) -> Option<String> {
        self.as_ref().and_then(BrokerUrl::broker_url)
    }
}

/// Where a request carries a value: a pre-process endpoint's event (`route = …`) or a
/// webhook's delivery id (`dedupe = …`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKey {
    Header(&'static str),
    /// A JSON pointer into the body (RFC 6901), e.g. `/type`.
    Json(&'static str),
}

impl RequestKey {
    /// The event `request` names, or why it names none.
    pub(crate) fn read_event(&self, request: &Request) -> std::result::Result<String, Rejection> {
        self.find(request, false)?.ok_or_else(|| {
            missing(match *self {
                RequestKey::Header(name) => format!("the request has no `{name}` header, which names its event"),
                RequestKey::Json(pointer) => format!("the body has no event name at `{pointer}`"),
            })
        })
    }

    /// The delivery id of `request`; a request without one is refused.
    pub(crate) fn read_delivery_id(&self, request: &Request) -> std::result::Result<String, Rejection> {
        self.find(request, true)?.ok_or_else(|| {
            missing(match *self {
                RequestKey::Header(name) => {
                    format!("the request has no `{name}` header, which this endpoint deduplicates on")
                }
                RequestKey::Json(pointer) => {
                    format!("the body has no delivery id at `{pointer}`, which this endpoint deduplicates on")
                }
            })
        })
    }

    /// The non-empty text at this key (or a number, when `numbers`); an error only when the
    /// body is not JSON.
    fn find(&self, request: &Request, numbers: bool) -> std::result::Result<Option<String>, Rejection> {
        match *self {
            RequestKey::Header(name) => Ok(request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .filter(|value| !value.is_empty())
                .map(str::to_owned)),
            RequestKey::Json(pointer) => {
                let body: serde_json::Value = serde_json::from_slice(request.body())
                    .map_err(|error| missing(format!("the body is not valid JSON: {error}")))?;
                Ok(match body.pointer(pointer) {
                    Some(serde_json::Value::String(text)) if !text.is_empty() => Some(text.clone()),
                    Some(number @ serde_json::Value::Number(_)) if numbers => Some(number.to_string()),
                    _ => None,
                })
            }
        }
    }
}

fn missing(what: String) -> Rejection {
    Rejection::new(http::StatusCode::BAD_REQUEST, what)
}

/// One flow as the runtime sees it.
#[doc(hidden)]
pub struct FlowDescriptor<C: 'static> {
    pub name: &'static str,
    pub trigger: Trigger,
    pub policy: Policy,
    /// How a webhook endpoint checks signatures.
    pub verify: Option<Verifier<C>>,
    /// How a webhook endpoint answers a provider's subscription handshake.
    pub handshake: Option<Handshake<C>>,
    /// A source's broker URL, from the instance's configuration (`url = field`).
    pub broker_url: Option<fn(&C) -> Option<String>>,
    pub handler: Handler<C>,
}

/// How a flow's runs are retried, limited, ordered and deduplicated (`#[flow(retries = …, …)]`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// Attempts after the first; a run gets `retries + 1` attempts in all.
    pub retries: u32,
    /// The delay after the first failed attempt; each later delay doubles, up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Runs of this flow executing at once, across all instances; `None` is no limit.
    pub concurrency: Option<u32>,
    /// An instance's runs execute one at a time, in arrival order.
    pub ordered: bool,
    /// Where a webhook's delivery id is; a repeated id within `dedupe_window` does not run again.
    pub dedupe: Option<RequestKey>,
    pub dedupe_window: Duration,
    /// The largest webhook body accepted, in bytes.
    pub max_body: usize,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        retries: 8,
        backoff_min: Duration::from_secs(1),
        backoff_max: Duration::from_secs(600),
        concurrency: None,
        ordered: false,
        dedupe: None,
        dedupe_window: Duration::from_secs(7 * 24 * 3600),
        max_body: 1024 * 1024,
    };

    /// How long to wait after attempt `attempt` (from 1) failed: `backoff_min · 2^(attempt-1)`
    /// plus up to as much again of random jitter, never more than `backoff_max`.
    pub(crate) fn retry_delay(&self, attempt: u32) -> Duration {
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(self.backoff_min)
            .with_max_delay(self.backoff_max)
            .with_jitter()
            .without_max_times()
            .build();
        let delay = delays.nth(attempt.saturating_sub(1) as usize).unwrap_or(self.backoff_max);
        // backon's jitter can double a delay; the configured range is the promise.
        delay.min(self.backoff_max)
    }

    /// Whether runs may skip the inbox queue and start at once when a worker is free.
    pub(crate) fn starts_at_once(&self) -> bool {
        self.concurrency.is_none() && !self.ordered
    }
}

impl<C: 'static> FlowDescriptor<C> {
    /// The stand-in for a flow whose definition has a compile error.
    pub const fn invalid(name: &'static str) -> FlowDescriptor<C> {
        FlowDescriptor {
            name,
            trigger: Trigger::Invalid,
            policy: Policy::DEFAULT,
            verify: None,
            handshake: None,
            broker_url: None,
            handler: Handler::Lifecycle(never_called::<C>),
        }
    }

    /// The path of an endpoint: a webhook or a pre-process flow.
    pub const fn path(&self) -> Option<&'static str> {
        match self.trigger {
            Trigger::Webhook { path } | Trigger::Preprocess { path, .. } => Some(path),
            _ => None,
        }
    }
}

fn never_called<C>(_: Activation<C>) -> BoxFuture<'static, Result<Output>> {
    unreachable!("a flow that failed to compile is never run")
}

/// Implemented by the type `#[flow]` generates beside each flow function.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a flow of an integration configured by `{C}`",
    label = "its `Ctx`/`Activation` takes another configuration type, or it is not marked #[flow]",
    note = "every flow of an integration takes the integration's `config:` type, as in `Ctx<{C}>`"
)]
pub trait Flow<C: 'static>: 'static {
    const DESCRIPTOR: FlowDescriptor<C>;
}

/// Implemented by webhook flows: what `endpoint::<F>()` accepts.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a webhook flow, so it has no endpoint",
    label = "`endpoint::<…>()` takes a flow declared with #[flow(webhook, path = \"…\")]",
    note = "only webhook flows are served at a URL; schedule flows and lifecycle hooks are not"
)]
pub trait WebhookFlow {
    const PATH: &'static str;
}

/// Implemented by pre-process flows: what an event flow's `from = …` names.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pre-process flow",
    label = "`from = …` names the #[flow(preprocess, …)] struct whose endpoint receives this event",
    note = "declare it as #[flow(preprocess, path = \"/github\", config = Settings, route = header(\"X-GitHub-Event\"))] struct GitHub;"
)]
pub trait PreprocessFlow {
    const NAME: &'static str;
    /// The module path and name, as in [`Trigger::Preprocess`].
    const ID: &'static str;
}

/// What a flow function may return.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a flow returns `aqueduct::Result<T>` with `T: Serialize`, not `{Self}`",
    label = "write `-> Result<()>`, or `-> Result<T>` to record `T` as the run's output"
)]
pub trait FlowResult {
    fn into_output(self) -> Result<Output>;
}

impl<T: Serialize> FlowResult for Result<T> {
    fn into_output(self) -> Result<Output> {
        let value = serde_json::to_value(self?)?;
        Ok((!value.is_null()).then_some(value))
    }
}

/// Whether two flows are endpoints (webhook or pre-process) served at the same path (checked
/// when `integration!` compiles).
#[doc(hidden)]
pub const fn share_a_path<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    match (a.path(), b.path()) {
        (Some(a), Some(b)) => same_str(a, b),
        _ => false,
    }
}

/// `a == b`, which is not yet callable in a `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether two flows have one name (functions of one name in two modules).
#[doc(hidden)]
pub const fn share_a_name<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    same_str(a.name, b.name)
}

/// Whether two event flows take the same event of the same pre-process flow.
#[doc(hidden)]
pub const fn share_an_event<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    match (a.trigger, b.trigger) {
        (
            Trigger::Event { preprocess_id: a_from, event: a_event, .. },
            Trigger::Event { preprocess_id: b_from, event: b_event, .. },
        ) => same_str(a_from, b_from) && same_str(a_event, b_event),
        _ => false,
    }
}

/// Whether `flow`, if it is an event flow, has its pre-process flow among `flows`.
#[doc(hidden)]
pub const fn preprocess_listed<C>(flow: &FlowDescriptor<C>, flows: &[FlowDescriptor<C>]) -> bool {
    let Trigger::Event { preprocess_id, .. } = flow.trigger else { return true };
    let mut index = 0;
    while index < flows.len() {
        if let Trigger::Preprocess { id, .. } = flows[index].trigger
            && same_str(id, preprocess_id)
        {
            return true;
        }
        index += 1;
    }
    false
}

/// Whether two flows are both `on_activate` hooks.
#[doc(hidden)]
pub const fn both_on_activate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnActivate, Trigger::OnActivate))
}

/// Whether two flows are both `on_deactivate` hooks.
#[doc(hidden)]
pub const fn both_on_deactivate<C>(a: &FlowDescriptor<C>, b: &FlowDescriptor<C>) -> bool {
    matches!((a.trigger, b.trigger), (Trigger::OnDeactivate, Trigger::OnDeactivate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_with_jitter_and_stay_in_range() {
        let policy =
            Policy { backoff_min: Duration::from_millis(100), backoff_max: Duration::from_secs(1), ..Policy::DEFAULT };
        for _ in 0..100 {
            let first = policy.retry_delay(1);
            assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200), "{first:?}");
            let third = policy.retry_delay(3);
            assert!(third >= Duration::from_millis(400) && third <= Duration::from_secs(1), "{third:?}");
            assert!(policy.retry_delay(20) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn reads_delivery_ids() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-github-delivery", "72d3162e".parse().unwrap());
        let request = Request::new(None, headers, r#"{"id": 42, "event": {"id": "evt_1"}}"#);
        assert_eq!(RequestKey::Header("X-GitHub-Delivery").read_delivery_id(&request).unwrap(), "72d3162e");
        assert_eq!(RequestKey::Json("/id").read_delivery_id(&request).unwrap(), "42");
        assert_eq!(RequestKey::Json("/event/id").read_delivery_id(&request).unwrap(), "evt_1");
        assert_eq!(
            RequestKey::Json("/missing").read_delivery_id(&request).unwrap_err().status(),
            http::StatusCode::BAD_REQUEST
        );
        assert!(RequestKey::Header("X-Other").read_delivery_id(&request).is_err());
    }
}
