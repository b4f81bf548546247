//! Components wrap one third-party API; each `#[action]` call becomes a durable step of the
//! run: recorded with its output, and not called again when the run is retried or replayed.
//! A component reaches its third party through a [`Connection`] from the configuration.

mod connection;
mod digest;
mod paginate;

pub use connection::{Connection, KeyPlace, OAuth2};
pub use digest::{Argument, Digest, DigestNothing, DigestSerialized};
pub use paginate::{Page, paginate};

use crate::model::{ActionPolicy, DEFAULT_ACTION_TIMEOUT, Rate};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tracing::Instrument;

/// Implemented by `#[component]` structs: the name steps are recorded under.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a component",
    label = "its struct is not marked #[component]",
    note = "put #[component] on the struct as well as on its impl of #[action] methods"
)]
pub trait Component {
    const NAME: &'static str;
    /// `#[component(rate = "10/s")]`: calls per instance, across its runs.
    const RATE: Option<Rate> = None;
}

/// What an `#[action]` may return: a `Result`, so that its step is ok or failed.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an #[action] returns a `Result`, not `{Self}`",
    label = "write `-> Result<…>` so the step is recorded as ok or failed"
)]
pub trait ActionResult: Sized {
    type Value: RecordedOutput;
    type Failure: Display;
    fn into_result(self) -> Result<Self::Value, Self::Failure>;
    fn from_result(result: Result<Self::Value, Self::Failure>) -> Self;
}

impl<T: RecordedOutput, E: Display> ActionResult for Result<T, E> {
    type Value = T;
    type Failure = E;

    fn into_result(self) -> Result<T, E> {
        self
    }

    fn from_result(result: Result<T, E>) -> Self {
        result
    }
}

/// What an `#[action]` returns in `Ok`: recorded as JSON, so a retried run gets it back
/// instead of calling the API again.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an #[action]'s output is recorded so that a retried run gets it back instead of calling again, so `{Self}` must be `Serialize` and `Deserialize`",
    label = "this output cannot be recorded",
    note = "derive `Serialize` and `Deserialize` for it, or return the data the flow needs rather than a handle (a response, a stream, a client)"
)]
pub trait RecordedOutput: Serialize + DeserializeOwned {}

// Not recommended, so that a type that is neither reports this trait's message (why the
// output must serialize) rather than serde's two bare bounds.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> RecordedOutput for T {}

/// What an `#[action(undo = …)]` is a method of: a copy is kept to call the undo with.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an #[action(undo = …)] keeps a copy of its component to undo the call if activation fails, so `{Self}` must be `Clone`",
    label = "this component is not `Clone`",
    note = "derive `Clone` for it: its HTTP client and URLs clone cheaply"
)]
pub trait UndoableComponent: Component + Clone + Send + Sync + 'static {}

#[diagnostic::do_not_recommend]
impl<T: Component + Clone + Send + Sync + 'static> UndoableComponent for T {}

/// How an `#[action(undo = …)]` call that succeeded is undone: `undo` with a copy of the
/// component and the call's output. Kept while an `on_activate` hook runs; if the hook fails,
/// the calls it made are undone, last first, so a failed activation leaves nothing registered.
#[doc(hidden)]
pub fn keep_undo<C, T>(
    component: &C,
    action: &'static str,
    output: &T,
    undo: fn(C, T) -> BoxFuture<'static, Result<(), String>>,
) where
    C: UndoableComponent,
    T: RecordedOutput + Send + 'static,
{
    crate::engine::keep_undo(|| {
        // A copy through JSON, as the output is recorded: an action's output need not be `Clone`.
        let output = serde_json::to_value(output).map_err(|error| error.to_string());
        let component = component.clone();
        crate::engine::Undo {
            step: format!("{}.{action}", C::NAME),
            run: Box::new(move || {
                match output.and_then(|json| serde_json::from_value(json).map_err(|e| e.to_string())) {
                    Ok(output) => undo(component, output),
                    Err(error) => Box::pin(async move { Err(format!("its output could not be copied: {error}")) }),
                }
            }),
        }
    });
}

/// Runs one action call in its tracing span as a step of the current run.
#[doc(hidden)]
pub async fn record_action<F>(
    component: &'static str,
    action: &'static str,
    rate: Option<Rate>,
    timeout: Option<Duration>,
    input_digest: Option<String>,
    call: F,
) -> F::Output
where
    F: Future,
    F::Output: ActionResult,
{
    let span = tracing::info_span!("action", component, action);
    let name = format!("{component}.{action}");
    let call = async { call.await.into_result() };
    let policy = ActionPolicy { component, timeout: timeout.unwrap_or(DEFAULT_ACTION_TIMEOUT), rate };
    let result = crate::engine::step(name, input_digest, policy, call).instrument(span.clone()).await;
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!("action succeeded"),
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "action failed"),
    });
    ActionResult::from_result(result)
}
