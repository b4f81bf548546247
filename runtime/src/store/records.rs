//! What the store keeps and gives back.

use crate::ingress::Request;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
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
        [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Dead,
            RunStatus::Ignored,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
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
}

impl Cause {
    const ALL: [Cause; 7] = [
        Cause::Webhook,
        Cause::Schedule,
        Cause::Invoke,
        Cause::Activate,
        Cause::Deactivate,
        Cause::Replay,
        Cause::Message,
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
        }
    }

    /// Activation and deactivation, which run while the instance is not (or no longer) active.
    pub(crate) fn is_lifecycle(self) -> bool {
        matches!(self, Cause::Activate | Cause::Deactivate)
    }

    pub(crate) fn parse(text: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|cause| cause.as_str() == text)
    }
}

/// A customer instance: one activation of the integration with its configuration.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct InstanceRecord {
    pub name: String,
    /// The configuration as JSON; it may hold secrets, so it is never printed.
    #[serde(skip)]
    pub config: String,
    pub active: bool,
    /// Goes up at every activation, so caches know when to read the configuration again.
    pub version: i64,
    pub updated_at: jiff::Timestamp,
}

/// A run to add to the inbox.
pub(crate) struct NewRun {
    pub flow: String,
    pub instance: String,
    pub cause: Cause,
    pub request: Arc<Request>,
    /// The delivery id, if the flow deduplicates: a repeat within the window is not stored.
    pub dedupe: Option<Dedupe>,
    pub start: Start,
    /// The run this one replays.
    pub replay_of: Option<RunId>,
    /// The flow runs an instance's runs one at a time, in order (`ordered = true`).
    pub ordered: bool,
}

/// A delivery id and how long it is remembered.
pub(crate) struct Dedupe {
    pub key: String,
    pub window: std::time::Duration,
}

/// Who starts a new run.
#[derive(Clone)]
pub(crate) enum Start {
    /// A worker claims it from the inbox.
    Queued,
    /// The calling process runs it now; it is stored as running, leased for this long.
    Leased(std::time::Duration),
    /// Nothing runs it: it is recorded as ignored, for this reason.
    Ignored { reason: String },
}

/// What to do when the store's write queue is full.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Wait for room.
    Wait,
    /// Give up at once with [`Enqueued::Busy`], so the caller can answer 503.
    Refuse,
}

/// What [`Store::enqueue`](super::Store::enqueue) did.
#[derive(Debug, PartialEq)]
pub(crate) enum Enqueued {
    Created(RunId),
    /// The delivery id was seen within its window: this is the run it started.
    Duplicate(RunId),
    /// The instance is not active (or does not exist); nothing was stored.
    InstanceInactive,
    /// The write queue is full; nothing was stored.
    Busy,
}

/// What a worker may claim of one flow.
pub(crate) struct FlowClaim {
    pub flow: &'static str,
    /// At most this many runs.
    pub limit: usize,
    /// No more than this many of the flow's runs running at once, counting those already running.
    pub concurrency: Option<u32>,
    /// Only the oldest unfinished run of each instance.
    pub ordered: bool,
}

/// A run a worker has leased, with what it needs to execute it.
pub(crate) struct ClaimedRun {
    pub id: RunId,
    pub flow: String,
    pub instance: String,
    /// This attempt's number, starting at 1.
    pub attempt: u32,
    pub request: Arc<Request>,
}

/// How one attempt ended.
pub(crate) enum Outcome {
    Succeeded(Option<serde_json::Value>),
    /// Failed; the next attempt is due then.
    Retry {
        error: String,
        due_at: jiff::Timestamp,
    },
    /// Failed for good.
    Dead {
        error: String,
    },
}

/// One attempt of a run, as it is recorded.
pub(crate) struct FinishedAttempt {
    pub id: RunId,
    pub attempt: u32,
    pub started_at: jiff::Timestamp,
    pub outcome: Outcome,
    pub steps: Vec<crate::recorder::Step>,
    pub logs: Vec<LogLine>,
}

/// Which finished runs to run again.
pub(crate) enum ReplaySelection {
    One(RunId),
    /// Every dead run not replayed yet, optionally of one flow.
    Dead {
        flow: Option<String>,
    },
    /// Ignored deliveries, each replayed as a run of the flow that takes its event now.
    Rerouted(Vec<Reroute>),
}

/// An ignored delivery and the event flow to run it.
pub(crate) struct Reroute {
    pub run: RunId,
    pub flow: String,
    pub ordered: bool,
}

/// A delivery recorded as ignored because no flow took its event, not replayed yet.
pub(crate) struct IgnoredRun {
    pub id: RunId,
    /// The pre-process endpoint that received it.
    pub flow: String,
    pub request: crate::ingress::Request,
}

/// What a replay did: the run replayed and the new run.
#[derive(Debug, PartialEq)]
pub(crate) struct Replayed {
    pub original: RunId,
    pub replay: RunId,
}

/// Which runs to list.
#[derive(Clone, Default)]
pub(crate) struct RunFilter {
    pub flow: Option<String>,
    pub instance: Option<String>,
    pub status: Option<RunStatus>,
    pub limit: usize,
}

/// One line of `runs`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RunSummary {
    pub id: RunId,
    pub flow: String,
    pub instance: String,
    pub cause: Cause,
    pub status: RunStatus,
    pub attempts: u32,
    pub created_at: jiff::Timestamp,
    pub finished_at: Option<jiff::Timestamp>,
}

/// Everything `runs show` prints.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RunDetail {
    #[serde(flatten)]
    pub summary: RunSummary,
    pub query: Option<String>,
    /// The body as text when it is UTF-8, else its length.
    pub body: String,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    /// When a failed run is due for its next attempt.
    pub due_at: Option<jiff::Timestamp>,
    pub replay_of: Option<RunId>,
    pub replayed_as: Option<RunId>,
    pub history: Vec<AttemptRecord>,
}

/// One attempt of a run, with its steps and log lines.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AttemptRecord {
    pub attempt: u32,
    pub started_at: jiff::Timestamp,
    pub finished_at: jiff::Timestamp,
    pub error: Option<String>,
    pub steps: Vec<StepRecord>,
    pub logs: Vec<LogLine>,
}

/// One recorded action call.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StepRecord {
    pub name: String,
    pub started_at: jiff::Timestamp,
    pub duration_ms: f64,
    pub error: Option<String>,
}

/// A tracing event inside a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LogLine {
    pub at: jiff::Timestamp,
    pub level: String,
    pub message: String,
}
