//! What a run's `Ctx` asks of the engine: its calls to other flows of its instance
//! (`ctx.invoke`, `ctx.enqueue`), each starting the callee as a run of its own, through
//! admission, as a durable step of the caller; and its echo marks (`ctx.echoes`), in the store.
//!
//! A retried caller must not start a second callee. Its step is recorded once the call is
//! answered, so a later attempt gets the recorded answer; and the callee's admission carries a
//! delivery id made of the caller's run and the call's number, so a caller that stopped while
//! it waited finds, in its next attempt, the callee it started and waits for that one.

use super::answer::Answer;
use super::{Admitted, Engine, NewRun};
use crate::model::{
    ActionPolicy, Call, Cause, Config, Dedupe, EchoMark, EchoMarks, Error, FlowCalls, Output, Request, Result, RunId,
    RunStatus,
};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a caller's call ids are remembered: longer than any caller is retried.
const CALL_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

/// The engine as a run's `Ctx` reaches it.
pub(super) struct Calls<C: 'static>(pub(super) Arc<Engine<C>>);

impl<C: Config> FlowCalls<C> for Calls<C> {
    fn invoke(&self, flow: &'static str, call: Call, input: Vec<u8>) -> BoxFuture<'static, Result<Output>> {
        let engine = self.0.clone();
        Box::pin(async move {
            let policy = ActionPolicy { component: "invoke", timeout: engine.flow(flow)?.policy.timeout, rate: None };
            super::step(format!("invoke {flow}"), None, policy, async {
                let (id, answer) = engine.start_call(flow, &call, input).await?;
                engine.finished(id, answer).await
            })
            .await
        })
    }

    fn enqueue(&self, flow: &'static str, call: Call, input: Vec<u8>) -> BoxFuture<'static, Result<RunId>> {
        let engine = self.0.clone();
        Box::pin(async move {
            let policy = ActionPolicy { component: "enqueue", timeout: Duration::from_secs(30), rate: None };
            super::step(format!("enqueue {flow}"), None, policy, async {
                Ok(engine.start_call(flow, &call, input).await?.0)
            })
            .await
        })
    }
}

impl<C: Config> EchoMarks for Calls<C> {
    fn mark(&self, mark: EchoMark) -> BoxFuture<'static, Result<()>> {
        let store = self.0.store.clone();
        Box::pin(async move { store.mark_echo(mark).await })
    }

    fn matches(&self, mark: EchoMark) -> BoxFuture<'static, Result<bool>> {
        let store = self.0.store.clone();
        Box::pin(async move { store.is_echo(mark).await })
    }
}

impl<C: Config> Engine<C> {
    fn flow(&self, name: &str) -> Result<&'static crate::model::FlowDescriptor<C>> {
        self.flows.named(name).ok_or_else(|| Error::msg(format!("this integration has no flow `{name}`")))
    }

    /// Admits `flow`'s run for `call` (or finds the one admitted for it before); returns it
    /// with where its answer comes.
    async fn start_call(self: &Arc<Self>, flow: &'static str, call: &Call, input: Vec<u8>) -> Result<(RunId, Waited)> {
        let descriptor = self.flow(flow)?;
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        let request = Arc::new(Request::new(None, headers, input));
        descriptor
            .check(&request)
            .map_err(|rejection| Error::permanent(Error::msg(format!("`{flow}` refuses the input: {rejection}"))))?;
        let key = format!("run {} call {}", call.caller, call.number);
        let dedupe = Dedupe { scope: "call", key, window: CALL_WINDOW };
        let (waiter, answer) = oneshot::channel();
        let new_run = NewRun::new(descriptor, call.instance.clone(), Cause::Call, request)
            .deduped(Some(dedupe))
            .answered_to(waiter);
        match self.admit(new_run).await? {
            Admitted::Accepted(id) => Ok((id, Waited::Answer(answer))),
            Admitted::Duplicate(id) => Ok((id, Waited::Earlier)),
            Admitted::InstanceInactive => {
                Err(Error::permanent(Error::msg(format!("the instance `{}` is no longer active", call.instance))))
            }
            other => Err(Error::msg(format!("`{flow}` was not started: {other:?}"))),
        }
    }

    /// The output of run `id` once it has finished; its error if it died.
    async fn finished(&self, id: RunId, waited: Waited) -> Result<Output> {
        let answer = match waited {
            Waited::Answer(answer) => answer,
            // Started by an earlier attempt: waited for from now, or read if it has finished.
            Waited::Earlier => {
                let (waiter, answer) = oneshot::channel();
                self.waiters.register(id, waiter);
                let run = self.store.run(id).await?.ok_or_else(|| Error::msg(format!("run {id} is gone")))?;
                match run.summary.status {
                    RunStatus::Succeeded => return Ok(run.output),
                    RunStatus::Dead => return Err(callee_died(id, &run.error.unwrap_or_default())),
                    _ => answer,
                }
            }
        };
        match answer.await {
            Ok(Answer::Finished(output)) => Ok(output),
            Ok(Answer::Failed(error)) => Err(callee_died(id, &error)),
            Ok(Answer::Replied(_)) | Err(_) => Err(Error::msg(format!("run {id} was not answered; waiting again"))),
        }
    }
}

/// Where a callee's answer comes from.
enum Waited {
    Answer(oneshot::Receiver<Answer>),
    /// An earlier attempt of the caller started the callee.
    Earlier,
}

/// A dead callee fails its caller for good: retrying the caller would find the same dead run.
fn callee_died(id: RunId, error: &str) -> Error {
    Error::permanent(Error::msg(format!("the called run {id} died: {error}")))
}
