//! A run as a test reads it: how it ended, and each attempt's steps and log lines.

use crate::model::{RunDetail, RunId};

/// One run, finished.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub id: RunId,
    pub flow: String,
    pub instance: String,
    /// `succeeded`, `dead` or `ignored`.
    pub status: String,
    /// What the flow returned, as JSON.
    pub output: Option<serde_json::Value>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub attempts: Vec<AttemptReport>,
}

/// One attempt of a run.
#[derive(Clone, Debug)]
pub struct AttemptReport {
    pub error: Option<String>,
    pub steps: Vec<StepReport>,
    /// Each tracing event inside the attempt, as `LEVEL message field=value`.
    pub logs: Vec<String>,
}

/// One action call of an attempt.
#[derive(Clone, Debug)]
pub struct StepReport {
    /// `Component.action`.
    pub name: String,
    pub error: Option<String>,
    /// An earlier attempt made the call; this one got its recorded output back.
    pub replayed: bool,
}

impl From<RunDetail> for RunReport {
    fn from(detail: RunDetail) -> RunReport {
        let attempts = detail
            .history
            .into_iter()
            .map(|attempt| AttemptReport {
                error: attempt.error,
                steps: attempt
                    .steps
                    .into_iter()
                    .map(|step| StepReport { name: step.name, error: step.error, replayed: step.replayed })
                    .collect(),
                logs: attempt.logs.into_iter().map(|line| format!("{} {}", line.level, line.message)).collect(),
            })
            .collect();
        RunReport {
            id: detail.summary.id,
            flow: detail.summary.flow,
            instance: detail.summary.instance,
            status: detail.summary.status.as_str().to_owned(),
            output: detail.output,
            error: detail.error,
            attempts,
        }
    }
}
