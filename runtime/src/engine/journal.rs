//! Durable steps: each action call of a run that succeeds is written to the store before the
//! flow goes on, so a later attempt of the run (or a replay of it) gets the recorded output
//! back instead of calling the third party again — a retry never repeats a side effect that
//! succeeded. Steps are matched by the order they start in and their name; a flow whose code
//! changed so that the sequence no longer matches fails for good rather than guessing.

use crate::model::{ActionPolicy, Error, RunId, StepRecord};
use crate::store::{CompletedStep, Store};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OnceCell, oneshot};

/// The steps of the attempt running on a task.
pub(crate) struct Journal {
    store: Arc<dyn Store>,
    run: RunId,
    attempt: u32,
    /// Whose calls a component's rate limit counts.
    instance: String,
    /// What earlier attempts completed, read at the first action call: a flow that calls none
    /// costs no read.
    recorded: OnceCell<Vec<CompletedStep>>,
    /// The next step's place in the run.
    next: AtomicU32,
    /// Ends the attempt with an error that is not the flow's to handle.
    abort: Mutex<Option<oneshot::Sender<Error>>>,
}

/// Resolves when the attempt must end with this error (its steps no longer match the record,
/// or one could not be recorded).
pub(crate) type Aborted = oneshot::Receiver<Error>;

impl Journal {
    pub(crate) fn new(store: Arc<dyn Store>, run: RunId, attempt: u32, instance: &str) -> (Arc<Journal>, Aborted) {
        let (abort, aborted) = oneshot::channel();
        let journal = Journal {
            store,
            run,
            attempt,
            instance: instance.to_owned(),
            recorded: OnceCell::new(),
            next: AtomicU32::new(0),
            abort: Mutex::new(Some(abort)),
        };
        (Arc::new(journal), aborted)
    }

    /// Where the run is stored.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn run(&self) -> RunId {
        self.run
    }

    pub(crate) fn instance(&self) -> &str {
        &self.instance
    }

    /// Runs one step: its recorded output if an earlier attempt completed it, else `call`
    /// (once the component's rate allows, and within its timeout), whose output is recorded
    /// when it succeeds. Returns its record for the run's history.
    pub(crate) async fn step<T, E, F>(
        &self,
        name: String,
        input_digest: Option<String>,
        policy: ActionPolicy,
        call: F,
    ) -> (Result<T, E>, StepRecord)
    where
        T: Serialize + DeserializeOwned,
        E: Display,
        F: Future<Output = Result<T, E>>,
    {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let started_at = jiff::Timestamp::now();
        let started = Instant::now();
        let recorded = match self.recorded.get_or_try_init(|| self.store.completed_steps(self.run)).await {
            Ok(recorded) => recorded.iter().find(|step| step.seq == seq),
            Err(error) => return self.abort(error.wrap("reading the run's completed steps failed".into())).await,
        };
        if let Some(done) = recorded {
            if done.name != name {
                let changed = format!(
                    "step {} of this run was `{}` when it ran before and is `{name}` now: the flow's code changed, \
                     so its recorded steps no longer match; replay the run with `replay {} --fresh` to call every step again",
                    seq + 1,
                    done.name,
                    self.run
                );
                return self.abort(Error::permanent(Error::msg(changed))).await;
            }
            if done.input_digest != input_digest {
                tracing::warn!(
                    step = name,
                    "the step's arguments differ from its recorded call; its recorded output is used"
                );
            }
            return match serde_json::from_str(&done.output) {
                Ok(value) => (Ok(value), record(name, started_at, started, None, true)),
                Err(error) => {
                    let unfit = format!(
                        "the recorded output of step {} `{name}` no longer fits its type ({error}); replay the run with `replay {} --fresh`",
                        seq + 1,
                        self.run
                    );
                    self.abort(Error::permanent(Error::msg(unfit))).await
                }
            };
        }
        if let Some(rate) = policy.rate {
            super::rate::wait_turn(policy.component, rate, &self.instance).await;
        }
        let Ok(result) = tokio::time::timeout(policy.timeout, call).await else {
            let slow = format!(
                "step {} `{name}` did not finish within its timeout of {}; the attempt fails and is retried like any \
                 failure (set `#[action(timeout = \"…\")]`)",
                seq + 1,
                humantime::format_duration(policy.timeout)
            );
            return self.abort(Error::msg(slow)).await;
        };
        let value = match &result {
            Ok(value) => value,
            Err(error) => {
                let failure = Some(format!("{error:#}"));
                return (result, record(name, started_at, started, failure, false));
            }
        };
        let output = match serde_json::to_string(value) {
            Ok(output) => output,
            Err(error) => {
                let unfit = format!("the output of step {} `{name}` cannot be recorded as JSON: {error}", seq + 1);
                return self.abort(Error::permanent(Error::msg(unfit))).await;
            }
        };
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let completed =
            CompletedStep { seq, name: name.clone(), input_digest, output, attempt: self.attempt, duration_ms };
        // The flow goes on only once the step is durable: a crash after this point finds it.
        if let Err(error) = self.store.record_step(self.run, completed).await {
            return self.abort(error.wrap(format!("recording step {} `{name}` failed", seq + 1))).await;
        }
        (result, record(name, started_at, started, None, false))
    }

    /// Ends the attempt with `error`; the flow is dropped where it waits, so this never returns.
    async fn abort<T>(&self, error: Error) -> T {
        if let Some(abort) = self.abort.lock().expect("journal lock").take() {
            let _ = abort.send(error);
        }
        std::future::pending().await
    }
}

/// The step as the attempt's history keeps it, its duration measured from `started`.
pub(super) fn record(
    name: String,
    started_at: jiff::Timestamp,
    started: Instant,
    error: Option<String>,
    replayed: bool,
) -> StepRecord {
    StepRecord { name, started_at, duration_ms: started.elapsed().as_secs_f64() * 1000.0, error, replayed }
}
