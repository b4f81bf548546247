//! Admission: the one way a run comes to be. Every entry point — a webhook, a pre-process
//! endpoint's event or ignored delivery, a schedule tick, a broker's message, an activation
//! hook, `invoke`, `replay` — builds a [`NewRun`] and hands it to [`Engine::admit`], which
//! applies the delivery id, ordering and the instance's state as it commits the run, then
//! starts it under a lease when a worker is free.

use super::answer::Answer;
use super::execute::Retries;
use super::lease::LEASE;
use super::shares::Slot;
use super::{Engine, lease};
use crate::model::{Cause, Config, Dedupe, FlowDescriptor, Output, Request, Result, RunId, telemetry};
use crate::store::{ClaimedRun, Enqueued, Entry, Replay, Start, WhenFull};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A run to start, as an entry point describes it.
pub(crate) struct NewRun<C: 'static> {
    flow: &'static FlowDescriptor<C>,
    instance: String,
    cause: Cause,
    request: Arc<Request>,
    dedupe: Option<Dedupe>,
    replay: Option<Replay>,
    execution: Execution,
    when_full: WhenFull,
    skip_if_unfinished: bool,
    /// Who waits for the run's answer: a sync flow's caller, or a run that invoked it.
    waiter: Option<oneshot::Sender<Answer>>,
}

/// Who runs a new run.
pub(crate) enum Execution {
    /// A worker: at once when one is free, else when it claims the run; retried by the flow's policy.
    Worker,
    /// The caller, once, waiting for the result (`invoke`, lifecycle hooks).
    Caller,
    /// No one: the delivery is recorded as ignored, for this reason.
    Ignored(String),
}

impl<C> NewRun<C> {
    /// A run of `flow` for `instance` with `request` as its input, run by a worker; the store
    /// is waited for when its write queue is full.
    pub(crate) fn new(
        flow: &'static FlowDescriptor<C>,
        instance: impl Into<String>,
        cause: Cause,
        request: Arc<Request>,
    ) -> NewRun<C> {
        NewRun {
            flow,
            instance: instance.into(),
            cause,
            request,
            dedupe: None,
            replay: None,
            execution: Execution::Worker,
            when_full: WhenFull::Wait,
            skip_if_unfinished: false,
            waiter: None,
        }
    }

    /// Not stored while a run of the flow for the instance is unfinished (a schedule's
    /// `overlap = skip`): [`Admitted::Unfinished`].
    pub(crate) fn skipped_while_unfinished(self) -> NewRun<C> {
        NewRun { skip_if_unfinished: true, ..self }
    }

    /// With a delivery id: a repeat within its window is a duplicate.
    pub(crate) fn deduped(self, dedupe: Option<Dedupe>) -> NewRun<C> {
        NewRun { dedupe, ..self }
    }

    /// As a replay of a finished run.
    pub(crate) fn replaying(self, replay: Replay) -> NewRun<C> {
        NewRun { replay: Some(replay), ..self }
    }

    /// Run by `execution` rather than by a worker.
    pub(crate) fn executed_by(self, execution: Execution) -> NewRun<C> {
        NewRun { execution, ..self }
    }

    /// With someone waiting for its answer, registered before the run can start.
    pub(crate) fn answered_to(self, waiter: oneshot::Sender<Answer>) -> NewRun<C> {
        NewRun { waiter: Some(waiter), ..self }
    }

    /// Refused at once ([`Admitted::Busy`]) when the store's write queue is full, so a sender
    /// can be told to come back, rather than waited for.
    pub(crate) fn refused_when_busy(self) -> NewRun<C> {
        NewRun { when_full: WhenFull::Refuse, ..self }
    }
}

/// What admission did.
#[derive(Debug)]
pub(crate) enum Admitted {
    /// Stored; a worker runs it now or when it is due.
    Accepted(RunId),
    /// Stored and run by the caller: what the attempt returned.
    Ran { id: RunId, result: Result<Output> },
    /// Stored as ignored.
    Ignored(RunId),
    /// Not stored: the delivery id was seen within its window; the run it started.
    Duplicate(RunId),
    /// Not stored: the instance is not active.
    InstanceInactive,
    /// Not stored: the store's write queue is full.
    Busy,
    /// Not stored: the run to replay was replayed already, as this run.
    ReplayedAlready(RunId),
    /// Not stored: this run of the flow for the instance is unfinished.
    Unfinished(RunId),
}

impl<C: Config> Engine<C> {
    /// Commits `run` and starts it as its [`Execution`] says.
    ///
    /// The commit and a worker's start happen on a task of their own: a caller that goes away
    /// meanwhile (a client hanging up, a source consumer stopped) must not leave a committed
    /// run leased to no one until its lease runs out.
    pub(crate) async fn admit(self: &Arc<Self>, run: NewRun<C>) -> Result<Admitted> {
        let engine = self.clone();
        let committed = tokio::spawn(async move { engine.commit(run).await });
        let committed = committed
            .await
            .map_err(|panicked| crate::model::Error::msg(format!("admitting a run failed: {panicked}")))??;
        Ok(match committed {
            Committed::Done(admitted) => admitted,
            Committed::Leased(run) => {
                let id = run.id;
                // The caller's run is tried once: whoever called is there to decide what next.
                let result = lease::keeping_lease(self.store.as_ref(), id, self.execute(run, Retries::None)).await;
                Admitted::Ran { id, result }
            }
        })
    }

    /// Stores the run, and hands it to a worker if one was free.
    async fn commit(self: &Arc<Self>, run: NewRun<C>) -> Result<Committed> {
        let NewRun { flow, instance, cause, request, dedupe, replay, execution, when_full, skip_if_unfinished, waiter } =
            run;
        let slot = match execution {
            Execution::Worker => self.reserve(flow, &instance),
            Execution::Caller | Execution::Ignored(_) => None,
        };
        let start = match &execution {
            Execution::Worker if slot.is_none() => Start::Queued,
            Execution::Worker | Execution::Caller => Start::Leased(LEASE),
            Execution::Ignored(reason) => Start::Ignored { reason: reason.clone() },
        };
        let entry = Entry {
            flow: flow.name,
            instance: instance.clone(),
            cause,
            request: request.clone(),
            dedupe,
            start,
            replay,
            ordered: flow.policy.ordered,
            skip_if_unfinished,
        };
        let due_at = jiff::Timestamp::now();
        let committing = std::time::Instant::now();
        let enqueued = self.store.enqueue(entry, when_full).await?;
        telemetry::committed("admit", committing.elapsed());
        let id = match enqueued {
            Enqueued::Created(id) => {
                telemetry::admitted(flow.name);
                id
            }
            Enqueued::Duplicate(id) => return Ok(Committed::Done(Admitted::Duplicate(id))),
            Enqueued::ReplayedAlready(id) => return Ok(Committed::Done(Admitted::ReplayedAlready(id))),
            Enqueued::InstanceInactive => return Ok(Committed::Done(Admitted::InstanceInactive)),
            Enqueued::Busy => return Ok(Committed::Done(Admitted::Busy)),
            Enqueued::Unfinished(id) => return Ok(Committed::Done(Admitted::Unfinished(id))),
        };
        if let Some(waiter) = waiter {
            self.waiters.register(id, waiter);
        }
        let claimed = ClaimedRun { id, flow: flow.name.into(), instance, attempt: 1, due_at, request };
        Ok(match (execution, slot) {
            (Execution::Worker, Some(slot)) => {
                self.spawn_run(claimed, slot);
                Committed::Done(Admitted::Accepted(id))
            }
            (Execution::Worker, None) => {
                self.workers.queued();
                Committed::Done(Admitted::Accepted(id))
            }
            (Execution::Caller, _) => Committed::Leased(claimed),
            (Execution::Ignored(_), _) => Committed::Done(Admitted::Ignored(id)),
        })
    }

    /// A worker slot for a run of `flow` to start at once, if the flow allows it, one is free
    /// and nothing older is waiting in the inbox.
    fn reserve(&self, flow: &FlowDescriptor<C>, instance: &str) -> Option<Slot> {
        let workers = &self.workers;
        if !flow.policy.starts_at_once() || workers.is_stopping() || workers.may_have_queued() {
            return None;
        }
        workers.try_slot(flow.name, instance)
    }
}

/// What the commit did.
enum Committed {
    /// All there is to it.
    Done(Admitted),
    /// Stored for the caller to execute, holding its lease.
    Leased(ClaimedRun),
}
