//! Components wrap one third-party API; each `#[action]` call becomes a step of the run.

use crate::engine::record_step;
use crate::model::StepRecord;
use std::fmt::Display;
use std::future::Future;
use std::time::Instant;
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
    // Outside a run (a unit test calling the component directly) nothing is recorded.
    record_step(StepRecord {
        name: format!("{component}.{action}"),
        started_at,
        duration_ms: duration.as_secs_f64() * 1000.0,
        error,
    });
    result
}
