//! The kinds of flow and the options each kind takes.

use std::fmt;

/// What triggers a flow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Webhook,
    Schedule,
    OnActivate,
    OnDeactivate,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [Kind::Webhook, Kind::Schedule, Kind::OnActivate, Kind::OnDeactivate];

    /// The attribute key that declares this kind.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Schedule => "schedule",
            Kind::OnActivate => "on_activate",
            Kind::OnDeactivate => "on_deactivate",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// How the kind is written, for error messages.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Kind::Webhook => "#[flow(webhook, path = \"/orders\")]",
            Kind::Schedule => "#[flow(schedule = \"*/5 * * * *\", tz = \"Europe/Berlin\")]",
            Kind::OnActivate => "#[flow(on_activate)]",
            Kind::OnDeactivate => "#[flow(on_deactivate)]",
        }
    }

    /// The kind's own key carries a value (`schedule = "…"`) rather than being a bare word.
    pub(crate) fn has_value(self) -> bool {
        self == Kind::Schedule
    }

    /// "a webhook flow", "an on_activate hook".
    pub(crate) fn a(self) -> String {
        let article = if self.is_lifecycle() { "an" } else { "a" };
        format!("{article} {self}")
    }

    pub(crate) fn is_lifecycle(self) -> bool {
        matches!(self, Kind::OnActivate | Kind::OnDeactivate)
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
            Kind::Schedule => "schedule flow",
            Kind::OnActivate => "on_activate hook",
            Kind::OnDeactivate => "on_deactivate hook",
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

/// The kinds whose runs go through the inbox and its retry policy.
const QUEUED: &[Kind] = &[Kind::Webhook, Kind::Schedule];

pub(crate) const OPTIONS: &[OptionRule] = &[
    OptionRule {
        key: "path",
        kinds: &[Kind::Webhook],
        meaning: "the URL path of a webhook flow, under /hooks/{instance}",
    },
    OptionRule { key: "tz", kinds: &[Kind::Schedule], meaning: "the time zone a schedule flow's cron is read in" },
    OptionRule { key: "retries", kinds: QUEUED, meaning: "how often a failed run is tried again" },
    OptionRule { key: "backoff", kinds: QUEUED, meaning: "the range of delays between attempts" },
    OptionRule { key: "concurrency", kinds: QUEUED, meaning: "how many runs of a flow may execute at once" },
    OptionRule {
        key: "ordered",
        kinds: QUEUED,
        meaning: "whether an instance's runs execute one at a time, in arrival order",
    },
    OptionRule {
        key: "dedupe",
        kinds: &[Kind::Webhook],
        meaning: "where a webhook's delivery id is, so a repeat runs once",
    },
    OptionRule {
        key: "dedupe_window",
        kinds: &[Kind::Webhook],
        meaning: "how long a webhook's delivery ids are remembered",
    },
    OptionRule { key: "max_body", kinds: &[Kind::Webhook], meaning: "the largest webhook body accepted" },
    OptionRule { key: "verify", kinds: &[Kind::Webhook], meaning: "how a webhook's signature is checked" },
];

pub(crate) fn option_rule(key: &str) -> Option<&'static OptionRule> {
    OPTIONS.iter().find(|option| option.key == key)
}

/// Every key `#[flow(…)]` accepts, kinds first.
pub(crate) fn all_keys() -> Vec<&'static str> {
    Kind::ALL.iter().map(|kind| kind.key()).chain(OPTIONS.iter().map(|option| option.key)).collect()
}
