//! Components wrap one third-party API; each `#[action]` call becomes a durable step of the
//! run: recorded with its output, and not called again when the run is retried or replayed.

mod digest;

pub use digest::{Argument, Digest, DigestNothing, DigestSerialized};

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
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

/// Runs one action call in its tracing span as a step of the current run.
#[doc(hidden)]
pub async fn record_action<F>(
    component: &'static str,
    action: &'static str,
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
    let result = crate::engine::step(name, input_digest, call).instrument(span.clone()).await;
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!("action succeeded"),
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "action failed"),
    });
    ActionResult::from_result(result)
}
