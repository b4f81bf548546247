//! The kinds of flow and the options each kind takes.

use std::fmt;

/// What triggers a flow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Webhook,
    /// An endpoint whose caller waits for the flow's answer.
    Sync,
    Schedule,
    OnActivate,
    OnDeactivate,
    /// One endpoint whose deliveries go to the event flows that name it.
    Preprocess,
    /// One event type of a pre-process endpoint.
    Event,
    /// A NATS JetStream subject, an AMQP queue, an MQTT topic.
    Nats,
    Amqp,
    Mqtt,
}

impl Kind {
    pub(crate) const ALL: [Kind; 10] = [
        Kind::Webhook,
        Kind::Sync,
        Kind::Schedule,
        Kind::OnActivate,
        Kind::OnDeactivate,
        Kind::Preprocess,
        Kind::Event,
        Kind::Nats,
        Kind::Amqp,
        Kind::Mqtt,
    ];

    /// The attribute key that declares this kind.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Sync => "sync",
            Kind::Schedule => "schedule",
            Kind::OnActivate => "on_activate",
            Kind::OnDeactivate => "on_deactivate",
            Kind::Preprocess => "preprocess",
            Kind::Event => "event",
            Kind::Nats => "nats",
            Kind::Amqp => "amqp",
            Kind::Mqtt => "mqtt",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// How the kind is written, for error messages.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Kind::Webhook => "#[flow(webhook, path = \"/orders\")]",
            Kind::Sync => "#[flow(sync, path = \"/customers/lookup\", method = GET, timeout = \"2s\")]",
            Kind::Schedule => "#[flow(schedule = \"*/5 * * * *\", tz = \"Europe/Berlin\")]",
            Kind::OnActivate => "#[flow(on_activate)]",
            Kind::OnDeactivate => "#[flow(on_deactivate)]",
            Kind::Preprocess => {
                "#[flow(preprocess, path = \"/github\", config = Settings, route = header(\"X-GitHub-Event\"))] struct GitHub;"
            }
            Kind::Event => "#[flow(event = \"push\", from = GitHub)]",
            Kind::Nats => "#[flow(nats = \"orders.{instance}\", stream = \"ORDERS\")]",
            Kind::Amqp => "#[flow(amqp = \"orders-{instance}\")]",
            Kind::Mqtt => "#[flow(mqtt = \"sensors/{instance}/#\")]",
        }
    }

    /// The kind's own key carries a value (`schedule = "…"`, `event = "…"`).
    pub(crate) fn has_value(self) -> bool {
        matches!(self, Kind::Schedule | Kind::Event | Kind::Nats | Kind::Amqp | Kind::Mqtt)
    }

    /// "a webhook flow", "an on_activate hook".
    pub(crate) fn a(self) -> String {
        let article = if matches!(self, Kind::OnActivate | Kind::OnDeactivate | Kind::Event | Kind::Amqp | Kind::Mqtt) {
            "an"
        } else {
            "a"
        };
        format!("{article} {self}")
    }

    pub(crate) fn is_lifecycle(self) -> bool {
        matches!(self, Kind::OnActivate | Kind::OnDeactivate)
    }

    /// Whether its runs are started by a request, and so take extractors after `Ctx`.
    pub(crate) fn takes_requests(self) -> bool {
        matches!(self, Kind::Webhook | Kind::Sync | Kind::Event | Kind::Nats | Kind::Amqp | Kind::Mqtt)
    }

    /// The options, besides the kind itself, that this kind accepts.
    pub(crate) fn options(self) -> Vec<&'static str> {
        OPTIONS.iter().filter(|option| option.kinds.contains(&self)).map(|option| option.key).collect()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = match self {
            Kind::Webhook => "webhook flow",
            Kind::Sync => "sync flow",
            Kind::Schedule => "schedule flow",
            Kind::OnActivate => "on_activate hook",
            Kind::OnDeactivate => "on_deactivate hook",
            Kind::Preprocess => "pre-process flow",
            Kind::Event => "event flow",
            Kind::Nats => "NATS source",
            Kind::Amqp => "AMQP source",
            Kind::Mqtt => "MQTT source",
        };
        f.write_str(noun)
    }
}

/// An option key, the kinds it applies to and what it means.
pub(crate) struct OptionRule {
    pub key: &'static str,
    pub kinds: &'static [Kind],
    pub meaning: &'static str,
}

/// The kinds whose runs are retried by their policy.
const RETRIED: &[Kind] = &[Kind::Webhook, Kind::Sync, Kind::Schedule, Kind::Event, Kind::Nats, Kind::Amqp, Kind::Mqtt];
/// The kinds whose runs may wait in the inbox for the ones before them.
const QUEUED: &[Kind] = &[Kind::Webhook, Kind::Schedule, Kind::Event, Kind::Nats, Kind::Amqp, Kind::Mqtt];
/// The message broker sources.
const SOURCES: &[Kind] = &[Kind::Nats, Kind::Amqp, Kind::Mqtt];
/// The kinds that are HTTP endpoints.
const ENDPOINTS: &[Kind] = &[Kind::Webhook, Kind::Sync, Kind::Preprocess];
/// The endpoints that take deliveries: a sender hands them over and does not wait.
const DELIVERED: &[Kind] = &[Kind::Webhook, Kind::Preprocess];

pub(crate) const OPTIONS: &[OptionRule] = &[
    OptionRule { key: "path", kinds: ENDPOINTS, meaning: "the URL path of an endpoint, under /hooks/{instance}" },
    OptionRule { key: "tz", kinds: &[Kind::Schedule], meaning: "the time zone a schedule flow's cron is read in" },
    OptionRule {
        key: "overlap",
        kinds: &[Kind::Schedule],
        meaning: "what a schedule flow does with a tick while its previous run is unfinished",
    },
    OptionRule {
        key: "catch_up",
        kinds: &[Kind::Schedule],
        meaning: "how far back a schedule flow runs the ticks missed while the process was down",
    },
    OptionRule { key: "jitter", kinds: &[Kind::Schedule], meaning: "the most a schedule flow's ticks are delayed" },
    OptionRule {
        key: "backfill",
        kinds: &[Kind::Schedule],
        meaning: "whether a schedule flow runs as soon as an instance is activated, not at its first tick",
    },
    OptionRule { key: "method", kinds: &[Kind::Sync], meaning: "the HTTP method a sync flow answers, GET or POST" },
    OptionRule {
        key: "callback_hosts",
        kinds: &[Kind::Sync],
        meaning: "the configuration field listing the hosts a sync flow's callers may be called back at",
    },
    OptionRule {
        key: "callback_secret",
        kinds: &[Kind::Sync],
        meaning: "the configuration field with the Standard Webhooks secret a sync flow's callbacks are signed with",
    },
    OptionRule { key: "retries", kinds: RETRIED, meaning: "how often a failed run is tried again" },
    OptionRule { key: "backoff", kinds: RETRIED, meaning: "the range of delays between attempts" },
    OptionRule { key: "concurrency", kinds: RETRIED, meaning: "how many runs of a flow may execute at once" },
    OptionRule {
        key: "ordered",
        kinds: QUEUED,
        meaning: "whether an instance's runs execute one at a time, in arrival order",
    },
    OptionRule {
        key: "timeout",
        kinds: RETRIED,
        meaning: "how long an attempt may run before it fails (for a sync flow: how long its caller waits for the answer)",
    },
    OptionRule { key: "keep", kinds: RETRIED, meaning: "how long succeeded runs are kept" },
    OptionRule { key: "keep_dead", kinds: RETRIED, meaning: "how long dead runs are kept" },
    OptionRule { key: "keep_payload", kinds: RETRIED, meaning: "how long a finished run's payload is kept" },
    OptionRule { key: "dedupe", kinds: DELIVERED, meaning: "where a delivery's id is, so a repeat runs once" },
    OptionRule { key: "dedupe_window", kinds: DELIVERED, meaning: "how long delivery ids are remembered" },
    OptionRule { key: "max_body", kinds: ENDPOINTS, meaning: "the largest body an endpoint accepts" },
    OptionRule { key: "verify", kinds: ENDPOINTS, meaning: "how an endpoint checks signatures" },
    OptionRule {
        key: "handshake",
        kinds: DELIVERED,
        meaning: "how an endpoint answers a provider's subscription handshake",
    },
    OptionRule {
        key: "config",
        kinds: &[Kind::Preprocess],
        meaning: "the configuration type of a pre-process flow's integration",
    },
    OptionRule {
        key: "route",
        kinds: &[Kind::Preprocess],
        meaning: "where a pre-process flow reads each delivery's event",
    },
    OptionRule {
        key: "unhandled",
        kinds: &[Kind::Preprocess],
        meaning: "what a pre-process flow does with an event no flow takes",
    },
    OptionRule {
        key: "from",
        kinds: &[Kind::Event],
        meaning: "the pre-process flow an event flow takes its events from",
    },
    OptionRule { key: "stream", kinds: &[Kind::Nats], meaning: "the JetStream stream a NATS source consumes from" },
    OptionRule { key: "qos", kinds: &[Kind::Mqtt], meaning: "the MQTT quality of service a source subscribes with" },
    OptionRule { key: "url", kinds: SOURCES, meaning: "the configuration field holding a source's broker URL" },
];

/// What `unhandled` takes.
pub(crate) const UNHANDLED_USAGE: &str =
    "`unhandled` is \"ignore\" (answer 202 and record the delivery as ignored) or \"reject\" (answer 404)";

/// What `overlap` takes.
pub(crate) const OVERLAP_USAGE: &str = "`overlap` is `skip` (a tick while the previous run is unfinished does not run; the \
     default), `queue` (it runs after it, in order) or `allow` (it runs beside it)";

/// What `method` takes.
pub(crate) const METHOD_USAGE: &str = "`method` is `GET` or `POST` (the default)";

/// What `qos` takes, and why.
pub(crate) const QOS_USAGE: &str = "`qos` is 1: a durable consumer acknowledges each message, which QoS 0 cannot, and QoS 2's \
     exactly-once handshake does not survive a reconnect (a message may repeat: keep the flow idempotent)";

pub(crate) fn option_rule(key: &str) -> Option<&'static OptionRule> {
    OPTIONS.iter().find(|option| option.key == key)
}

/// Every key `#[flow(…)]` accepts, kinds first.
pub(crate) fn all_keys() -> Vec<&'static str> {
    Kind::ALL.iter().map(|kind| kind.key()).chain(OPTIONS.iter().map(|option| option.key)).collect()
}
