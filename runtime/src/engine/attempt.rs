//! Running one attempt of a flow: in its span, its steps and log lines recorded, panics caught.

use super::recorder::Recorder;
use crate::model::{Error, LogLine, Output, Result, StepRecord};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tracing::Instrument;

/// What one attempt produced.
pub(crate) struct Attempted {
    pub result: Result<Output>,
    pub steps: Vec<StepRecord>,
    pub logs: Vec<LogLine>,
}

/// Runs `flow` as one attempt inside `span`. A panic in the flow is the attempt's error, not
/// the worker's end; so is running past `timeout` (the flow is dropped at its next await, and
/// its worker is free again: a third party that never answers holds up only this attempt).
pub(crate) async fn run_attempt(
    span: tracing::Span,
    timeout: Duration,
    flow: impl Future<Output = Result<Output>>,
) -> Attempted {
    let recorder = Recorder::default();
    let guarded = tokio::time::timeout(timeout, AssertUnwindSafe(recorder.record(flow)).catch_unwind());
    let result = match guarded.instrument(span.clone()).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(Error::msg(format!("the flow panicked: {}", panic_message(&panic)))),
        Err(_) => Err(Error::msg(format!(
            "the attempt ran past the flow's timeout of {}; it is retried like any failure (set `timeout = \"…\"` on the flow)",
            humantime::format_duration(timeout)
        ))),
    };
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!("attempt succeeded"),
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "attempt failed"),
    });
    let (steps, logs) = recorder.take();
    Attempted { result, steps, logs }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
