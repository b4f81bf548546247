//! What an attempt records while it runs: its steps (action calls) and its log lines
//! (tracing events). Both are collected through a task-local, so flows need not pass anything.

use super::journal::{self, Journal};
use crate::instances::Tokens;
use crate::model::{ActionPolicy, LogLine, StepRecord};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// Log lines kept per attempt; a flow that logs in a loop must not fill the run log.
const MAX_LOG_LINES: usize = 200;
/// Characters kept per log line.
const MAX_LINE: usize = 2000;
/// Steps kept per attempt in its history; an import of 10,000 files must not fill the run log.
const MAX_STEPS: usize = 500;

#[derive(Default)]
struct Recorded {
    steps: Vec<StepRecord>,
    logs: Vec<LogLine>,
    dropped_lines: usize,
    dropped_steps: usize,
    /// How to undo the action calls that succeeded, in the order they were made: kept only
    /// where a failure undoes them (`Recorder::undoing_on_failure`).
    undos: Vec<Undo>,
}

/// Undoes one action call that succeeded (`#[action(undo = …)]`); names it and says why it
/// could not be undone.
pub(crate) struct Undo {
    pub step: String,
    pub run: Box<dyn FnOnce() -> BoxFuture<'static, Result<(), String>> + Send>,
}

/// The record of the attempt running on this task.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    recorded: Arc<Mutex<Recorded>>,
    /// The run's durable steps; `None` where nothing is stored (the recorder's own tests).
    journal: Option<Arc<Journal>>,
    /// A failed attempt undoes its action calls that succeeded (an `on_activate` hook: its
    /// failure must leave nothing registered).
    undoes_on_failure: bool,
    /// Where the run's instance keeps its connections' OAuth2 tokens.
    tokens: Option<Tokens>,
}

tokio::task_local! {
    static CURRENT: Recorder;
}

impl Recorder {
    /// A recorder whose action calls are durable steps of `journal`'s run.
    pub(crate) fn journaled(journal: Arc<Journal>) -> Recorder {
        Recorder { recorded: Arc::default(), journal: Some(journal), undoes_on_failure: false, tokens: None }
    }

    /// Connections called during the attempt keep their OAuth2 tokens in `tokens`.
    pub(crate) fn with_tokens(self, tokens: Tokens) -> Recorder {
        Recorder { tokens: Some(tokens), ..self }
    }

    /// A failed attempt undoes the action calls that succeeded, last first.
    pub(crate) fn undoing_on_failure(self) -> Recorder {
        Recorder { undoes_on_failure: true, ..self }
    }

    /// Undoes, last first, the action calls of a failed attempt that declared how; each undo
    /// is recorded as a step. Returns what could not be undone.
    pub(crate) async fn undo(&self) -> Vec<String> {
        let undos = std::mem::take(&mut self.recorded.lock().expect("recorder lock").undos);
        let mut failures = Vec::new();
        for undo in undos.into_iter().rev() {
            if let Err(error) = self.record((undo.run)()).await {
                failures.push(format!("undoing `{}` failed: {error}", undo.step));
            }
        }
        failures
    }

    /// Runs `attempt` with this recorder as the task's current one.
    pub(crate) async fn record<F: Future>(&self, attempt: F) -> F::Output {
        CURRENT.scope(self.clone(), attempt).await
    }

    /// The steps and log lines recorded so far.
    pub(crate) fn take(&self) -> (Vec<StepRecord>, Vec<LogLine>) {
        let mut recorded = self.recorded.lock().expect("recorder lock");
        let mut logs = std::mem::take(&mut recorded.logs);
        if recorded.dropped_steps > 0 {
            let message = format!("… {} more steps were not kept in the history", recorded.dropped_steps);
            logs.push(LogLine { at: jiff::Timestamp::now(), level: "INFO".into(), message });
        }
        if recorded.dropped_lines > 0 {
            let message = format!("… {} more log lines were not kept", recorded.dropped_lines);
            logs.push(LogLine { at: jiff::Timestamp::now(), level: "INFO".into(), message });
        }
        (std::mem::take(&mut recorded.steps), logs)
    }
}

/// The stored OAuth2 tokens of the instance whose attempt runs on this task; `None` outside an
/// attempt (a unit test calling a component), where tokens are kept in memory only.
pub(crate) fn current_tokens() -> Option<Tokens> {
    CURRENT.try_with(|recorder| recorder.tokens.clone()).ok().flatten()
}

/// Runs an action call as a step of the attempt running on this task: durable when the run
/// is stored (see `journal.rs`), and in the attempt's history either way. Outside an attempt
/// (a unit test calling a component) it is only called.
pub(crate) async fn step<T, E, F>(
    name: String,
    input_digest: Option<String>,
    policy: ActionPolicy,
    call: F,
) -> Result<T, E>
where
    T: Serialize + DeserializeOwned,
    E: Display,
    F: Future<Output = Result<T, E>>,
{
    let Ok(recorder) = CURRENT.try_with(Recorder::clone) else { return call.await };
    let (result, step) = match &recorder.journal {
        Some(journal) => journal.step(name, input_digest, policy, call).await,
        None => {
            let (started_at, started) = (jiff::Timestamp::now(), std::time::Instant::now());
            let result = call.await;
            let error = result.as_ref().err().map(|error| format!("{error:#}"));
            (result, journal::record(name, started_at, started, error, false))
        }
    };
    recorder.keep_step(step);
    result
}

impl Recorder {
    /// Keeps a step in the attempt's history, up to `MAX_STEPS`.
    pub(super) fn keep_step(&self, step: StepRecord) {
        let mut recorded = self.recorded.lock().expect("recorder lock");
        if recorded.steps.len() >= MAX_STEPS {
            recorded.dropped_steps += 1;
        } else {
            recorded.steps.push(step);
        }
    }

    /// The run's journal, where one is kept.
    pub(super) fn journal(&self) -> Option<&Arc<Journal>> {
        self.journal.as_ref()
    }

    /// This recorder, but whose action calls are not durable steps: they run again when the
    /// unit of work that makes them (one file of an import) does.
    pub(super) fn unjournaled(&self) -> Recorder {
        Recorder { journal: None, ..self.clone() }
    }
}

/// The recorder of the attempt running on this task, if any.
pub(super) fn current() -> Option<Recorder> {
    CURRENT.try_with(Recorder::clone).ok()
}

/// Keeps how to undo an action call that succeeded, if the attempt on this task undoes its
/// calls when it fails (else `undo` is not even made).
pub(crate) fn keep_undo(undo: impl FnOnce() -> Undo) {
    let _ = CURRENT.try_with(|recorder| {
        if recorder.undoes_on_failure {
            recorder.recorded.lock().expect("recorder lock").undos.push(undo());
        }
    });
}

/// Installs the process's tracing, unless it has some already: log lines to stderr (or, for
/// `testing`, to the test's captured output) at `default` or as `AQUEDUCT_LOG` says, and each
/// run's own events at INFO and above into its run log, whatever the console shows.
pub(crate) fn init_tracing(default: &str, test_output: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("AQUEDUCT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: a log file or journal would keep the escape codes.
    let colours = !test_output && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let console = tracing_subscriber::fmt::layer().with_ansi(colours);
    let console = if test_output {
        console.with_test_writer().with_filter(filter).boxed()
    } else {
        console.with_writer(std::io::stderr).with_filter(filter).boxed()
    };
    let run_log = RunLog.with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = tracing_subscriber::registry().with(console).with(run_log).try_init();
}

/// A tracing layer that copies each event emitted inside an attempt into its run log.
pub(crate) struct RunLog;

impl<S: tracing::Subscriber> Layer<S> for RunLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let _ = CURRENT.try_with(|recorder| {
            let mut recorded = recorder.recorded.lock().expect("recorder lock");
            if recorded.logs.len() >= MAX_LOG_LINES {
                recorded.dropped_lines += 1;
                return;
            }
            let mut line = Line::default();
            event.record(&mut line);
            let mut message = line.message;
            message.push_str(&line.fields);
            if message.len() > MAX_LINE {
                let cut = (0..=MAX_LINE).rev().find(|index| message.is_char_boundary(*index)).unwrap_or(0);
                message.truncate(cut);
                message.push('…');
            }
            let level = event.metadata().level().to_string();
            recorded.logs.push(LogLine { at: jiff::Timestamp::now(), level, message });
        });
    }
}

/// An event's message, then its other fields as ` name=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[tokio::test]
    async fn events_inside_an_attempt_are_its_log_lines() {
        let subscriber = tracing_subscriber::registry().with(RunLog);
        let _default = tracing::subscriber::set_default(subscriber);
        let recorder = Recorder::default();
        tracing::info!("outside: not recorded");
        recorder
            .record(async {
                tracing::info!(items = 2, "imported");
                tracing::warn!("slow answer");
                let policy =
                    ActionPolicy { component: "Crm", timeout: crate::model::DEFAULT_ACTION_TIMEOUT, rate: None };
                step("Crm.create".into(), None, policy, async { Ok::<_, String>(1) }).await.unwrap();
            })
            .await;
        let (steps, logs) = recorder.take();
        let lines: Vec<String> = logs.iter().map(|line| format!("{} {}", line.level, line.message)).collect();
        assert_eq!(lines, ["INFO imported items=2", "WARN slow answer"]);
        assert_eq!(steps.len(), 1);
    }

    #[tokio::test]
    async fn a_chatty_attempt_keeps_its_first_lines() {
        let subscriber = tracing_subscriber::registry().with(RunLog);
        let _default = tracing::subscriber::set_default(subscriber);
        let recorder = Recorder::default();
        recorder.record(async { (0..250).for_each(|n| tracing::info!(n, "line")) }).await;
        let (_, logs) = recorder.take();
        assert_eq!(logs.len(), MAX_LOG_LINES + 1);
        assert_eq!(logs.last().unwrap().message, "… 50 more log lines were not kept");
    }

    #[tokio::test]
    async fn an_attempt_of_many_steps_keeps_its_first_and_says_how_many_more() {
        let recorder = Recorder::default();
        let policy = ActionPolicy { component: "Crm", timeout: crate::model::DEFAULT_ACTION_TIMEOUT, rate: None };
        recorder
            .record(async {
                for n in 0..MAX_STEPS + 20 {
                    step(format!("Crm.update{n}"), None, policy, async { Ok::<_, String>(()) }).await.unwrap();
                }
            })
            .await;
        let (steps, logs) = recorder.take();
        assert_eq!((steps.len(), steps[0].name.as_str()), (MAX_STEPS, "Crm.update0"));
        assert_eq!(logs.last().unwrap().message, "… 20 more steps were not kept in the history");
    }
}
