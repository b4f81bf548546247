//! What starts a flow: its trigger, as `#[flow]` declares it.

use super::request_key::RequestKey;
use std::time::Duration;

/// What starts a flow.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A POST to `/hooks/{instance}{path}`.
    Webhook { path: &'static str },
    /// A request to `/hooks/{instance}{path}` whose caller waits up to `wait` for the flow's
    /// answer, then is given where to fetch it.
    Sync { path: &'static str, method: SyncMethod, wait: Duration },
    /// A cron schedule read in a time zone, with what its ticks do besides.
    Schedule {
        cron: Cron,
        tz: &'static str,
        overlap: Overlap,
        /// How far back ticks missed while no process ran are run (as one run) at start.
        catch_up: Option<Duration>,
        /// The most each tick is delayed, per instance.
        jitter: Option<Duration>,
        /// A newly activated instance runs at once, rather than at the first tick.
        backfill: bool,
    },
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
    /// Stands in for a flow whose definition did not compile; never reaches the runtime. A
    /// pre-process flow's stand-in keeps its `id`, so its event flows still find it listed.
    Invalid { preprocess_id: Option<&'static str> },
}

impl Trigger {
    /// The kind's name, as `flows` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Webhook { .. } => "webhook",
            Trigger::Sync { .. } => "sync",
            Trigger::Schedule { .. } => "schedule",
            Trigger::OnActivate => "on_activate",
            Trigger::OnDeactivate => "on_deactivate",
            Trigger::Preprocess { .. } => "preprocess",
            Trigger::Event { .. } => "event",
            Trigger::Source { broker: Broker::Nats { .. } } => "nats",
            Trigger::Source { broker: Broker::Amqp { .. } } => "amqp",
            Trigger::Source { broker: Broker::Mqtt { .. } } => "mqtt",
            Trigger::Invalid { .. } => "invalid",
        }
    }
}

/// The HTTP method a sync flow answers (`method = GET` or `POST`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMethod {
    Get,
    Post,
}

impl SyncMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            SyncMethod::Get => "GET",
            SyncMethod::Post => "POST",
        }
    }
}

/// Where a schedule flow's cron is.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cron {
    /// In the attribute: `schedule = "…"`.
    Written(&'static str),
    /// In this field of each instance's configuration: `schedule = config(field)`
    /// (`FlowDescriptor::from_config` reads it).
    Config(&'static str),
}

impl std::fmt::Display for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cron::Written(cron) => f.write_str(cron),
            Cron::Config(field) => write!(f, "config({field})"),
        }
    }
}

/// A configuration field that holds a schedule's cron (`schedule = config(field)`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a cron field must be a `String`, not `{Self}`",
    label = "named by `schedule = config(…)`",
    note = "each instance's cron, e.g. \"0 */6 * * *\", checked when the instance is activated; `Option<String>` leaves an instance without one unscheduled"
)]
pub trait CronField {
    fn read(&self) -> Option<String>;
}

impl CronField for String {
    fn read(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl CronField for Option<String> {
    fn read(&self) -> Option<String> {
        self.clone()
    }
}

/// What a schedule flow does with a tick while an earlier run of it is unfinished for the
/// instance (`#[flow(schedule = …, overlap = …)]`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// The tick does not run.
    Skip,
    /// The tick runs after the earlier runs, one at a time, in order (`ordered`).
    Queue,
    /// The tick runs beside them.
    Allow,
}

impl Overlap {
    /// As `flows` prints it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
            Overlap::Allow => "allow",
        }
    }
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
    /// An MQTT topic filter, subscribed with QoS 1 in a persistent session.
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
    fn read(&self) -> Option<String>;
}

impl BrokerUrl for String {
    fn read(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl BrokerUrl for url::Url {
    fn read(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl BrokerUrl for crate::Secret {
    fn read(&self) -> Option<String> {
        Some(self.expose().to_owned())
    }
}

impl<T: BrokerUrl> BrokerUrl for Option<T> {
    fn read(&self) -> Option<String> {
        self.as_ref().and_then(BrokerUrl::read)
    }
}
