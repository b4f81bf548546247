//! What the store is asked to write, and what it answers, beyond the model's records.

use crate::model::{Cause, Dedupe, LogLine, Request, RunId, RunStatus, StepRecord};
use std::sync::Arc;
use std::time::Duration;

/// A run to add to the inbox; only the engine's admission writes one.
pub(crate) struct Entry {
    pub flow: &'static str,
    pub instance: String,
    pub cause: Cause,
    pub request: Arc<Request>,
    /// The delivery id: a repeat within its window is not stored.
    pub dedupe: Option<Dedupe>,
    pub start: Start,
    /// The run this one replays.
    pub replay: Option<Replay>,
    /// The flow runs an instance's runs one at a time, in order (`ordered = true`).
    pub ordered: bool,
    /// Not stored while a run of the flow for the instance is unfinished (`overlap = skip`).
    pub skip_if_unfinished: bool,
}

/// A replay of a finished run, and whether a run replayed before may be replayed again
/// (asked for by its id) or not (in bulk, or an ignored delivery, which runs once).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Replay {
    pub of: RunId,
    pub again: bool,
    /// Every step is called again; otherwise the replay starts with the steps the replayed run
    /// completed, and gets their recorded outputs back.
    pub fresh: bool,
}

/// A step (action call) of a run that succeeded, as recorded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompletedStep {
    /// Its place among the run's steps, from 0.
    pub seq: u32,
    /// `Component.action`.
    pub name: String,
    /// SHA-256 (hex) of the arguments that serialize; `None` when none does.
    pub input_digest: Option<String>,
    /// The action's `Ok` value as JSON.
    pub output: String,
    /// The attempt that called it.
    pub attempt: u32,
    pub duration_ms: f64,
}

/// Who starts a new run.
#[derive(Clone)]
pub(crate) enum Start {
    /// A worker claims it from the inbox.
    Queued,
    /// The calling process runs it now; it is stored as running, leased for this long.
    Leased(Duration),
    /// Nothing runs it: it is recorded as ignored, for this reason.
    Ignored { reason: String },
}

/// What to do when the store's write queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The run to replay was replayed already, as this run, and may not be again; nothing was stored.
    ReplayedAlready(RunId),
    /// A run of the flow for the instance is unfinished, and the entry skips then; nothing was stored.
    Unfinished(RunId),
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
    /// Instances whose runs wait this time (they hold their share of the workers).
    pub passing_over: Vec<String>,
}

/// A run a worker has leased, with what it needs to execute it.
pub(crate) struct ClaimedRun {
    pub id: RunId,
    pub flow: String,
    pub instance: String,
    /// This attempt's number, starting at 1.
    pub attempt: u32,
    /// When it was due: admitted, or its retry's time.
    pub due_at: jiff::Timestamp,
    pub request: Arc<Request>,
}

/// How one attempt ended.
#[derive(Clone)]
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
#[derive(Clone)]
pub(crate) struct FinishedAttempt {
    pub id: RunId,
    pub attempt: u32,
    pub started_at: jiff::Timestamp,
    pub outcome: Outcome,
    pub steps: Vec<StepRecord>,
    pub logs: Vec<LogLine>,
    /// The flow's state as the attempt left it, committed with its success.
    pub state: Vec<StateWrite>,
}

/// What [`Store::finish`](super::Store::finish) did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Finished {
    Recorded,
    /// Nothing was recorded: another run committed the state since this attempt read it.
    StateChanged,
}

/// A flow's state for an instance, as stored.
#[derive(Clone, Debug)]
pub(crate) struct StoredState {
    pub json: String,
    /// Goes up at every commit.
    pub version: i64,
}

/// A schedule flow paused for one instance, or (`instance: None`) for all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paused {
    pub flow: String,
    pub instance: Option<String>,
}

impl Paused {
    /// Whether this pauses `flow`'s ticks for `instance`.
    pub(crate) fn covers(&self, flow: &str, instance: &str) -> bool {
        self.flow == flow && self.instance.as_deref().is_none_or(|paused| paused == instance)
    }
}

/// A connection's OAuth2 token for an instance, sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredToken {
    pub instance: String,
    /// A digest of the connection's settings: which of the instance's connections.
    pub connection: String,
    pub sealed: String,
}

/// A change to a flow's state for an instance, committed only if the state is still as read.
#[derive(Clone)]
pub(crate) struct StateWrite {
    pub flow: String,
    pub instance: String,
    pub json: String,
    /// The version read; `None` when there was no state yet.
    pub read_version: Option<i64>,
}

/// Finished runs that a bulk replay takes, oldest first.
pub(crate) enum Replayable {
    /// Dead runs not replayed yet, of one flow or all (lifecycle hooks aside).
    Dead { flow: Option<String> },
    /// Ignored deliveries not replayed yet, of one endpoint or all.
    Ignored { endpoint: Option<String> },
}

/// A stored run with its input, as a replay needs it.
pub(crate) struct StoredRun {
    pub id: RunId,
    pub flow: String,
    pub instance: String,
    pub cause: Cause,
    pub status: RunStatus,
    pub replayed_as: Option<RunId>,
    /// `None` once the payload was pruned (`keep_payload`).
    pub request: Option<Request>,
}

/// Which runs to list, newest first.
#[derive(Clone, Default)]
pub(crate) struct RunFilter {
    pub flow: Option<String>,
    pub instance: Option<String>,
    pub status: Option<RunStatus>,
    /// Only runs older than this one: the cursor of the page after one ending with it.
    pub before: Option<RunId>,
    /// Only runs created at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Only runs created before this time.
    pub until: Option<jiff::Timestamp>,
    pub limit: usize,
}

/// An admin API token as stored: its value is never kept, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct AdminToken {
    pub name: String,
    pub created_at: jiff::Timestamp,
    /// A revoked token is kept (a store that ever had one gets no first token again).
    pub revoked_at: Option<jiff::Timestamp>,
}

/// How long one flow's finished runs are kept, the defaults already applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kept {
    /// Succeeded and ignored runs.
    pub keep: Duration,
    pub keep_dead: Duration,
    /// Payloads of finished runs; `None`, or one longer than the run's keep, goes with the run.
    pub keep_payload: Option<Duration>,
}

/// What the pruner removes: each flow's finished runs and payloads past their keep.
#[derive(Clone, Debug)]
pub(crate) struct Pruning {
    pub flows: std::collections::HashMap<String, Kept>,
    /// For runs of a flow this binary no longer has.
    pub otherwise: Kept,
}

impl Pruning {
    pub(crate) fn kept(&self, flow: &str) -> &Kept {
        self.flows.get(flow).unwrap_or(&self.otherwise)
    }

    /// The shortest time anything is kept: no run created later can be due yet.
    pub(crate) fn shortest(&self) -> Duration {
        self.flows
            .values()
            .chain([&self.otherwise])
            .flat_map(|kept| [Some(kept.keep), Some(kept.keep_dead), kept.keep_payload])
            .flatten()
            .min()
            .unwrap_or(Duration::ZERO)
    }
}

/// What one pruning pass removed (or, dry, would remove).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pruned {
    /// Runs by flow and status.
    pub runs: std::collections::BTreeMap<(String, RunStatus), u64>,
    /// Payloads removed from runs that are kept.
    pub payloads: u64,
    /// Where the next pass goes on; `None` when this one reached runs too new to be due.
    pub next: Option<RunId>,
}

impl Pruned {
    pub(crate) fn total_runs(&self) -> u64 {
        self.runs.values().sum()
    }

    /// Adds a later pass's counts (its `next` stands).
    pub(crate) fn add(&mut self, later: Pruned) {
        for (key, count) in later.runs {
            *self.runs.entry(key).or_default() += count;
        }
        self.payloads += later.payloads;
        self.next = later.next;
    }
}

/// One version of one file an import listed: its key (folder and path) and what tells this
/// version from another of the same name (size and modification time).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FileVersion {
    pub file: String,
    pub version: String,
}

/// A file a run processed, with what the run says of its progress.
#[derive(Clone, Debug)]
pub(crate) struct FileDone {
    pub run: RunId,
    pub flow: String,
    pub instance: String,
    pub file: FileVersion,
    pub progress: String,
}
