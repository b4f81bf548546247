//! Components wrap one third-party API; each `#[action]` call becomes a step of the run.

use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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

/// One recorded action call.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub name: String,
    pub started_at: jiff::Timestamp,
    pub duration: Duration,
    pub error: Option<String>,
}

/// The steps of the running attempt, collected while it runs.
#[derive(Clone, Default)]
pub(crate) struct StepLog(Arc<Mutex<Vec<Step>>>);

impl StepLog {
    pub(crate) fn take(&self) -> Vec<Step> {
        std::mem::take(&mut self.0.lock().expect("step log lock"))
    }
}

tokio::task_local! {
    /// The step log of the attempt running on this task; actions called elsewhere are only traced.
    pub(crate) static STEPS: StepLog;
}

/// What an `#[action]` may return: a `Result`, so that its step is ok or failed.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an #[action] returns a `Result`, not `{Self}`",
    label = "write `-> Result<…>` so the step is recorded as ok or failed"
)]
pub trait ActionResult {
    fn failure(&self) -> Option<String>;
}

impl<T, E: Display> ActionResult for Result<T, E> {
    fn failure(&self) -> Option<String> {
        self.as_ref().err().map(|error| format!("{error:#}"))
    }
}

/// Runs one action call in its tracing span and records it as a step of the current run.
#[doc(hidden)]
pub async fn record_action<F>(component: &'static str, action: &'static str, call: F) -> F::Output
where
    F: Future,
    F::Output: ActionResult,
{
    let span = tracing::info_span!("action", component, action);
    let started_at = jiff::Timestamp::now();
    let started = Instant::now();
    let result = call.instrument(span.clone()).await;
    let duration = started.elapsed();
    let error = result.failure();
    span.in_scope(|| match &error {
        None => tracing::debug!(?duration, "action succeeded"),
        Some(error) => tracing::warn!(?duration, error, "action failed"),
    });
    let step = Step { name: format!("{component}.{action}"), started_at, duration, error };
    // Outside a run (a unit test calling the component directly) there is nothing to record.
    let _ = STEPS.try_with(|steps| steps.0.lock().expect("step log lock").push(step));
    result
}
