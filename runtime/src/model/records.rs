//! What is kept about instances and runs, as the store gives it back.

use super::run::{Cause, RunId, RunStatus};
use serde::{Deserialize, Serialize};

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
    /// What its `on_activate` returned (JSON): what it registered, for `on_deactivate`.
    #[serde(skip)]
    pub registration: Option<String>,
    pub updated_at: jiff::Timestamp,
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
    /// The body as text when it is UTF-8, else its length; `None` once pruned (`keep_payload`).
    pub body: Option<String>,
    /// When the payload was pruned, the run kept.
    pub payload_removed_at: Option<jiff::Timestamp>,
    /// What the run last said of its progress while it ran, e.g. "3 of 10 files".
    pub progress: Option<String>,
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
    /// An earlier attempt completed it: its recorded output was returned, nothing was called.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

/// A tracing event inside a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LogLine {
    pub at: jiff::Timestamp,
    pub level: String,
    pub message: String,
}
