//! A run's identity and life: its id, status and cause, and the delivery id that makes a
//! repeated delivery run once.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A run's id, as `runs` and the `run_id` of a webhook's answer show it.
///
/// ```
/// let id: aqueduct::RunId = "42".parse().unwrap();
/// assert_eq!(id.to_string(), "42");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub(crate) i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for RunId {
    type Err = std::num::ParseIntError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(RunId)
    }
}

/// Where a run is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RunStatus {
    /// In the inbox, waiting for a worker.
    Queued,
    /// Leased by a worker.
    Running,
    /// Done.
    Succeeded,
    /// Failed and waiting for its next attempt.
    Failed,
    /// Failed for good: out of attempts, or a permanent error.
    Dead,
    /// A delivery no flow takes, recorded so it can be seen.
    Ignored,
}

impl RunStatus {
    pub(crate) const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Dead,
        RunStatus::Ignored,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Dead => "dead",
            RunStatus::Ignored => "ignored",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Succeeded or dead: nothing more will happen to it unless it is replayed.
    pub(crate) fn is_finished(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Dead)
    }
}

/// What started a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Cause {
    Webhook,
    Schedule,
    Invoke,
    Activate,
    Deactivate,
    Replay,
    /// A message from a broker source.
    Message,
    /// A sync flow's caller.
    Sync,
    /// Another flow (`ctx.invoke`, `ctx.enqueue`).
    Call,
}

impl Cause {
    const ALL: [Cause; 9] = [
        Cause::Webhook,
        Cause::Schedule,
        Cause::Invoke,
        Cause::Activate,
        Cause::Deactivate,
        Cause::Replay,
        Cause::Message,
        Cause::Sync,
        Cause::Call,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Cause::Webhook => "webhook",
            Cause::Schedule => "schedule",
            Cause::Invoke => "invoke",
            Cause::Activate => "activate",
            Cause::Deactivate => "deactivate",
            Cause::Replay => "replay",
            Cause::Message => "message",
            Cause::Sync => "sync",
            Cause::Call => "call",
        }
    }

    /// Activation and deactivation: run by the command that activates, never replayed.
    pub(crate) fn is_lifecycle(self) -> bool {
        matches!(self, Cause::Activate | Cause::Deactivate)
    }

    pub(crate) fn parse(text: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|cause| cause.as_str() == text)
    }
}

/// A delivery id: within `window`, another delivery with the same `key` to the same `scope`
/// of one instance is a duplicate and does not run again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dedupe {
    /// What the sender addressed: the endpoint a webhook came to (a pre-process endpoint, not
    /// the event flow it was routed to), the source flow a message came from, the schedule
    /// flow a tick is of.
    pub scope: &'static str,
    pub key: String,
    pub window: Duration,
}
