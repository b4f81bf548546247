//! Replays: a finished run admitted again with its original request, and a delivery once
//! ignored sent to the flow that takes its event now, decided as a live delivery's would be.
//! `replay` on the command line and the admin API's replay both come here.

use super::{Admitted, Engine, NewRun, Routed};
use crate::model::{Cause, Config, FlowDescriptor, Request, Result, RunId, RunStatus};
use crate::store::{Replay, Replayable, StoredRun};
use std::fmt;
use std::sync::Arc;

/// Why a run was not replayed; its text says what would let it be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unreplayable {
    NoSuchRun(RunId),
    Refused(String),
}

impl fmt::Display for Unreplayable {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreplayable::NoSuchRun(id) => write!(formatter, "there is no run {id}"),
            Unreplayable::Refused(reason) => formatter.write_str(reason),
        }
    }
}

impl<C: Config> Engine<C> {
    /// The runs a bulk replay takes, oldest first: dead runs (of one flow, or all) or ignored
    /// deliveries (of one pre-process endpoint, or all) not replayed yet.
    pub(crate) async fn replayable(&self, selection: Replayable) -> Result<Vec<RunId>> {
        self.store.replayable(selection).await
    }

    /// Admits a replay of run `id`. `by_id`: someone named this run, so a finished run
    /// replayed before may be replayed again. `fresh`: its completed steps are called again.
    pub(crate) async fn replay(
        self: &Arc<Self>,
        id: RunId,
        by_id: bool,
        fresh: bool,
    ) -> Result<Result<RunId, Unreplayable>> {
        let refused = |reason: String| Ok(Err(Unreplayable::Refused(reason)));
        let Some(mut run) = self.store.stored_run(id).await? else {
            return Ok(Err(Unreplayable::NoSuchRun(id)));
        };
        let ignored = run.status == RunStatus::Ignored;
        if run.cause.is_lifecycle() {
            return refused(format!("run {id} is a lifecycle hook; activate or deactivate the instance again instead"));
        }
        if let Some(replay) = run.replayed_as.filter(|_| ignored) {
            return refused(format!("run {id} was ignored and has been replayed already, as run {replay}"));
        }
        if !ignored && !run.status.is_finished() {
            return refused(format!(
                "run {id} is {}; only a finished run (succeeded or dead) can be replayed",
                run.status.as_str()
            ));
        }
        let Some(request) = run.request.take() else {
            return refused(format!(
                "run {id}'s payload was removed after the flow's keep_payload, so it cannot be replayed; \
                 keep payloads longer with `keep_payload = \"…\"` on the flow"
            ));
        };
        let flow = match if ignored { self.reroute(&run, &request) } else { self.flow_of(&run) } {
            Ok(flow) => flow,
            Err(reason) => return refused(reason),
        };
        let replay = Replay { of: id, again: by_id && !ignored, fresh };
        let new_run = NewRun::new(flow, run.instance, Cause::Replay, Arc::new(request)).replaying(replay);
        match self.admit(new_run).await? {
            Admitted::Accepted(replay) => Ok(Ok(replay)),
            Admitted::ReplayedAlready(replay) => refused(format!("run {id} was replayed meanwhile, as run {replay}")),
            Admitted::InstanceInactive => {
                refused(format!("run {id} belongs to an instance that is no longer active; activate it first"))
            }
            other => refused(format!("run {id} could not be replayed: {other:?}")),
        }
    }

    /// The flow a finished run ran, if this binary still has it.
    fn flow_of(&self, run: &StoredRun) -> Result<&'static FlowDescriptor<C>, String> {
        self.flows().named(&run.flow).ok_or_else(|| {
            format!("run {} is of the flow `{}`, which this integration no longer has", run.id, run.flow)
        })
    }

    /// The flow that takes an ignored delivery now, routed as its endpoint would route it live,
    /// and its payload checked as a live delivery's would be, rather than left to fail each attempt.
    fn reroute(&self, run: &StoredRun, request: &Request) -> Result<&'static FlowDescriptor<C>, String> {
        let id = run.id;
        let endpoint = self.flows().named(&run.flow).filter(|endpoint| endpoint.path().is_some()).ok_or_else(|| {
            format!("run {id} came to the endpoint `{}`, which is no longer one in this integration", run.flow)
        })?;
        let flow = match self.router().route(endpoint, request) {
            Routed::To(flow) if flow.name == endpoint.name => {
                return Err(format!(
                    "run {id} came to `{}`, which is no longer a pre-process endpoint, and was never run",
                    run.flow
                ));
            }
            Routed::To(flow) => flow,
            Routed::Unhandled { event, .. } => {
                return Err(format!(
                    "run {id} is a delivery of the `{event}` event, which no flow takes yet; \
                     add a flow with `event = \"{event}\"`, deploy it and replay the run again"
                ));
            }
            Routed::Refused(rejection) => {
                return Err(format!("run {id}: `{}` no longer reads an event from it: {rejection}", run.flow));
            }
        };
        flow.check(request).map_err(|rejection| {
            format!("run {id} does not fit the flow `{}`, which takes its event now: {rejection}", flow.name)
        })?;
        Ok(flow)
    }
}
