//! Executing one attempt of a run — a flow's, or a lifecycle hook's — and deciding what comes
//! next: done, another attempt later, or dead.

use super::Engine;
use super::answer::allowed_callback;
use super::attempt::{Attempted, run_attempt};
use super::calls::Calls;
use super::journal::Journal;
use super::lease::LEASE;
use super::recorder::Recorder;
use super::state::RunStates;
use super::traces::RunSpan;
use crate::model::{
    Activation, Config, Ctx, Error, FlowDescriptor, Handler, Output, Policy, Result, RunInfo, Trigger, telemetry,
};
use crate::store::{ClaimedRun, Finished, FinishedAttempt, Outcome};
use backon::Retryable;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// Whether a failed attempt may be followed by another.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retries {
    /// As the flow's policy says (runs a worker executes).
    ByPolicy,
    /// Never (a run its caller executes: `invoke`, lifecycle hooks).
    None,
}

/// How many times in a row an attempt is run again because other runs committed the flow's
/// state first, before it counts as a failed attempt.
const STATE_RACES: u32 = 100;

impl<C: Config> Engine<C> {
    /// Runs one attempt of `run` and records how it ended; returns the attempt's result. An
    /// attempt that succeeded on a state another run changed meanwhile is run again at once
    /// on the new state (its completed steps are not called again).
    pub(crate) async fn execute(self: &Arc<Self>, run: ClaimedRun, retries: Retries) -> Result<Output> {
        let flow = self.flows.named(&run.flow);
        let waited = jiff::Timestamp::now().duration_since(run.due_at);
        telemetry::started(&run.flow, waited.try_into().unwrap_or_default());
        let mut race = 0;
        loop {
            race += 1;
            let started_at = jiff::Timestamp::now();
            let clock = std::time::Instant::now();
            let state = Arc::new(RunStates::new(self.store.clone(), &run.flow, &run.instance));
            let Attempted { mut result, steps, logs } = self.attempt(&run, flow, retries, state.clone()).await;
            let mut writes = Vec::new();
            match (&result, state.take_writes()) {
                (Ok(_), Ok(staged)) if race <= STATE_RACES => writes = staged,
                (Ok(_), Ok(_)) => {
                    let message = format!("other runs changed the flow's state first, {STATE_RACES} times in a row");
                    result = Err(Error::msg(message));
                }
                (Ok(_), Err(unfit)) => {
                    let message = format!("the flow's state cannot be recorded as JSON: {unfit}");
                    result = Err(Error::permanent(Error::msg(message)));
                }
                _ => {}
            }
            let outcome = self.outcome(&run, flow, retries, &result);
            let (due_at, status) = match &outcome {
                Outcome::Retry { due_at, .. } => (Some(*due_at), "retrying"),
                Outcome::Succeeded(_) => (None, "succeeded"),
                Outcome::Dead { .. } => (None, "dead"),
            };
            let took = clock.elapsed();
            let finished =
                FinishedAttempt { id: run.id, attempt: run.attempt, started_at, outcome, steps, logs, state: writes };
            // Only what is recorded is traced: an attempt run again on a changed state is not.
            let traced = self.traces.get().map(|traces| (traces, finished.clone()));
            let recording = std::time::Instant::now();
            let recorded = self.record(finished).await?;
            telemetry::committed("finish", recording.elapsed());
            if recorded == Finished::StateChanged {
                tracing::debug!(run = %run.id, race, "another run changed the flow's state first; running the attempt again");
                continue;
            }
            telemetry::attempted(&run.flow, status, took);
            if let Some((traces, finished)) = traced {
                traces.attempt(&RunSpan { id: run.id, flow: &run.flow, instance: &run.instance }, &finished);
            }
            if let Some(due_at) = due_at {
                self.wake_at(due_at);
            }
            if let Some(flow) = flow
                && due_at.is_none()
            {
                self.answer_finished(flow, &run, &result).await;
            }
            return result;
        }
    }

    /// Records how an attempt ended, trying again while the store cannot take it (PostgreSQL
    /// restarting), as long as the run's lease lasts (its heartbeats go on meanwhile); after
    /// that, another process may have taken the run over.
    async fn record(&self, finished: FinishedAttempt) -> Result<Finished> {
        let store = &self.store;
        let waits = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(2))
            .with_max_times(usize::MAX)
            .with_total_delay(Some(LEASE));
        (|| store.finish(finished.clone()))
            .retry(waits)
            .sleep(tokio::time::sleep)
            .notify(|error, wait| {
                tracing::warn!(run = %finished.id, error = %format!("{error:#}"), ?wait, "recording the attempt failed; trying again")
            })
            .await
    }

    /// One attempt, its steps journaled and its state read through `state`.
    async fn attempt(
        self: &Arc<Self>,
        run: &ClaimedRun,
        flow: Option<&'static FlowDescriptor<C>>,
        retries: Retries,
        state: Arc<RunStates>,
    ) -> Attempted {
        let span =
            tracing::info_span!("run", id = %run.id, flow = run.flow, instance = run.instance, attempt = run.attempt);
        match self.prepare(run, flow, retries, span.clone(), state).await {
            Ok(call) => {
                let timeout = flow.map_or(Policy::DEFAULT.timeout, |flow| flow.policy.timeout);
                let (journal, aborted) = Journal::new(self.store.clone(), run.id, run.attempt, &run.instance);
                let mut recorder = Recorder::journaled(journal).with_tokens(self.instances.tokens(&run.instance));
                if flow.is_some_and(|flow| flow.trigger == Trigger::OnActivate) {
                    recorder = recorder.undoing_on_failure();
                }
                run_attempt(span, timeout, recorder, aborted, call).await
            }
            Err(error) => Attempted { result: Err(error), steps: Vec::new(), logs: Vec::new() },
        }
    }

    /// What comes after an attempt that returned `result`.
    fn outcome(
        &self,
        run: &ClaimedRun,
        flow: Option<&FlowDescriptor<C>>,
        retries: Retries,
        result: &Result<Output>,
    ) -> Outcome {
        let error = match result {
            Ok(output) => return Outcome::Succeeded(output.clone()),
            Err(error) => error,
        };
        let error_text = format!("{error:#}");
        let retry = flow
            .filter(|_| retries == Retries::ByPolicy && !error.is_permanent())
            .filter(|flow| run.attempt <= flow.policy.retries)
            .map(|flow| flow.policy.retry_delay(run.attempt).max(asked_delay(error, flow)));
        match retry {
            Some(delay) => Outcome::Retry { error: error_text, due_at: jiff::Timestamp::now() + delay },
            None => Outcome::Dead { error: error_text },
        }
    }

    /// The flow's call with its context, or why the run cannot start.
    async fn prepare(
        self: &Arc<Self>,
        run: &ClaimedRun,
        flow: Option<&FlowDescriptor<C>>,
        retries: Retries,
        span: tracing::Span,
        state: Arc<RunStates>,
    ) -> Result<BoxFuture<'static, Result<Output>>> {
        let flow = flow.ok_or_else(|| {
            Error::permanent(Error::msg(format!("this binary has no flow `{}`; was it renamed or removed?", run.flow)))
        })?;
        // Attempts are counted when claimed: more than the policy allows means earlier ones never
        // finished, each time stopping the process (a crash, an out-of-memory kill). Stop there.
        if retries == Retries::ByPolicy && run.attempt > flow.policy.retries + 1 {
            return Err(Error::permanent(Error::msg(format!(
                "the run was interrupted {} times by a stopped process; it is not tried again",
                run.attempt - 1
            ))));
        }
        let config = self.instances.config(&run.instance).await?.ok_or_else(|| {
            Error::permanent(Error::msg(format!("the instance `{}` is no longer active", run.instance)))
        })?;
        match flow.handler {
            Handler::Event { run: call, .. } => {
                // A tick's run carries its tick as its body (`tick.rs`).
                let tick = matches!(flow.trigger, Trigger::Schedule { .. })
                    .then(|| serde_json::from_slice(run.request.body()).ok())
                    .flatten();
                let info = RunInfo {
                    instance: run.instance.clone(),
                    flow: flow.name,
                    run_id: run.id,
                    attempt: run.attempt,
                    span,
                    tick,
                    calls: Default::default(),
                };
                // Read from the configuration in hand, before the context takes it.
                let sync = matches!(flow.trigger, Trigger::Sync { .. });
                let callback = if sync { allowed_callback(flow, &config, run) } else { None };
                let calls = Arc::new(Calls(self.clone()));
                let ctx = Ctx::new(config, info, self.http.clone(), state, calls.clone(), calls);
                let call = call(ctx, run.request.clone());
                if !sync {
                    return Ok(call);
                }
                let (engine, id) = (self.clone(), run.id);
                Ok(Box::pin(async move { engine.answer(id, call.await?, callback).await }))
            }
            Handler::Lifecycle(call) => {
                // What the instance's on_activate registered, for an on_deactivate that takes it.
                let registered = self.instances.stored(&run.instance).await?.and_then(|stored| stored.registration);
                let activation = Activation::new(
                    config,
                    run.instance.clone(),
                    self.public_url.clone(),
                    self.http.clone(),
                    registered,
                );
                Ok(call(activation))
            }
            Handler::Dispatch => Err(Error::permanent(Error::msg(format!(
                "`{}` is a pre-process endpoint: it runs no code of its own",
                run.flow
            )))),
        }
    }
}

/// The third party's `Retry-After`, at most an hour (or the backoff's maximum, if longer): a
/// far-off date would park the run, and an ordered flow's whole queue behind it.
fn asked_delay<C>(error: &Error, flow: &FlowDescriptor<C>) -> std::time::Duration {
    let cap = flow.policy.backoff_max.max(std::time::Duration::from_secs(3600));
    error.retry_delay().unwrap_or_default().min(cap)
}
