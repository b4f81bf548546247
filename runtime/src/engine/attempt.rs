//! Running one attempt of a flow: in its span, with its steps collected, panics caught.

use crate::component::{STEPS, Step, StepLog};
use crate::error::{Error, Result};
use crate::flow::Output;
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use tracing::Instrument;

/// Runs `flow` as one attempt inside `span`; returns its result and the steps it recorded.
/// A panic in the flow is the attempt's error, not the worker's end.
pub(crate) async fn run_attempt(
    span: tracing::Span,
    flow: impl Future<Output = Result<Output>>,
) -> (Result<Output>, Vec<Step>) {
    let steps = StepLog::default();
    let guarded = AssertUnwindSafe(STEPS.scope(steps.clone(), flow)).catch_unwind();
    let result = match guarded.instrument(span.clone()).await {
        Ok(result) => result,
        Err(panic) => Err(Error::msg(format!("the flow panicked: {}", panic_message(&panic)))),
    };
    span.in_scope(|| match &result {
        Ok(_) => tracing::info!("run succeeded"),
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "run failed"),
    });
    (result, steps.take())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
