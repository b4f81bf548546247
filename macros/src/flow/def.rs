//! A flow's definition once checked: what generation reads, with every required part present
//! and every value valid.

use super::parse::{CronAttr, HandshakeAttr, RequestKey, VerifyAttr};
use std::time::Duration;
use syn::{Ident, LitStr, Path, Type, Visibility};

/// One valid flow.
pub(crate) struct FlowDef {
    pub name: Ident,
    pub vis: Visibility,
    /// The integration's configuration type, as the flow names it.
    pub config: Type,
    pub kind: KindDef,
    pub policy: PolicyDef,
    /// The extractors a flow takes after its `Ctx`, in order (none for hooks and endpoints).
    pub extractors: Vec<Type>,
    /// What an `on_deactivate` hook takes of what `on_activate` registered.
    pub registration: Option<Type>,
}

/// What triggers the flow, and how it is called.
pub(crate) enum KindDef {
    Webhook { path: LitStr, endpoint: EndpointDef },
    Sync { path: LitStr, get: bool, wait: Duration, callbacks: Option<CallbacksDef>, endpoint: EndpointDef },
    Schedule { cron: CronAttr, tz: LitStr, timing: TimingDef },
    OnActivate,
    OnDeactivate,
    Preprocess { path: LitStr, route: RequestKey, reject_unhandled: bool, endpoint: EndpointDef },
    Event { event: LitStr, from: Path },
    Source { broker: BrokerDef, url: Option<Ident> },
}

/// The configuration fields a sync flow's callbacks read: the hosts allowed, the signing secret.
pub(crate) struct CallbacksDef {
    pub hosts: Ident,
    pub secret: Ident,
}

/// When a schedule flow's ticks run besides its cron: overlap, catch-up and jitter.
#[derive(Default)]
pub(crate) struct TimingDef {
    pub overlap: Overlap,
    pub catch_up: Option<Duration>,
    pub jitter: Option<Duration>,
    pub backfill: bool,
}

/// `overlap = skip | queue | allow`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Overlap {
    #[default]
    Skip,
    Queue,
    Allow,
}

impl Overlap {
    /// The policy `word` names, if it names one.
    pub(crate) fn named(word: &Ident) -> Option<Overlap> {
        match word.to_string().as_str() {
            "skip" => Some(Overlap::Skip),
            "queue" => Some(Overlap::Queue),
            "allow" => Some(Overlap::Allow),
            _ => None,
        }
    }
}

/// What an endpoint does with a delivery before it is stored.
pub(crate) struct EndpointDef {
    pub verify: Option<VerifyAttr>,
    pub handshake: Option<HandshakeAttr>,
}

pub(crate) enum BrokerDef {
    Nats { subject: LitStr, stream: LitStr },
    Amqp { queue: LitStr },
    Mqtt { topic: LitStr },
}

/// The run policy options given; the others keep the runtime's defaults.
#[derive(Default)]
pub(crate) struct PolicyDef {
    pub retries: Option<u32>,
    pub backoff: Option<(Duration, Duration)>,
    pub concurrency: Option<u32>,
    pub ordered: Option<bool>,
    pub dedupe: Option<RequestKey>,
    pub dedupe_window: Option<Duration>,
    pub max_body: Option<u64>,
    pub timeout: Option<Duration>,
    pub keep: Option<Duration>,
    pub keep_dead: Option<Duration>,
    pub keep_payload: Option<Duration>,
}
