//! Typed calls from one flow to another of the same instance: [`Ctx::invoke`](super::Ctx::invoke)
//! and [`Ctx::enqueue`](super::Ctx::enqueue). The model declares what may be called and with
//! what; the engine makes the call ([`FlowCalls`]).

use super::error::Result;
use super::flow::{Flow, Output};
use super::run::RunId;
use futures::future::BoxFuture;

/// A flow another flow may call: one that takes its input as a single `Json<Input>` after its
/// `Ctx`; its `Output` is what it returns.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be invoked: it takes no input of its own",
    label = "`invoke` and `enqueue` call a flow that takes one `Json<T>` after its `Ctx`, and pass `T`",
    note = "declare the callee as e.g. `async fn import(ctx: Ctx<Settings>, Json(order): Json<Order>) -> Result<…>`; schedule flows, hooks, pre-process and sync flows are not called this way"
)]
pub trait Invocable<C: 'static>: Flow<C> {
    // Unbounded here, so a flow whose payload only deserializes still compiles; a call needs
    // `Input: Serialize` (and `invoke` `Output: DeserializeOwned`), checked where it is made.
    type Input;
    type Output;
}

/// How a run's `Ctx` starts another flow's run: implemented by the engine.
pub(crate) trait FlowCalls<C>: Send + Sync {
    /// Runs `flow` with `input` (JSON) for the caller's instance and waits for its output;
    /// `call` numbers the caller's calls, so a retried caller finds the run it started before.
    fn invoke(&self, flow: &'static str, call: Call, input: Vec<u8>) -> BoxFuture<'static, Result<Output>>;
    /// Starts `flow` with `input` and returns its run.
    fn enqueue(&self, flow: &'static str, call: Call, input: Vec<u8>) -> BoxFuture<'static, Result<RunId>>;
}

/// One call of a run to another flow: the caller, its instance, and which of its calls it is.
pub(crate) struct Call {
    pub caller: RunId,
    pub instance: String,
    pub number: u32,
}
