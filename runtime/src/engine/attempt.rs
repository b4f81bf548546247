//! Running one attempt of a flow: in its span, its steps and log lines recorded, panics caught.

use super::journal::Aborted;
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

/// Runs `flow` as one attempt inside `span`, recording into `recorder`. A panic in the flow is
/// the attempt's error, not the worker's end; so is running past `timeout` (the flow is dropped
/// at its next await, and its worker is free again: a third party that never answers holds up
/// only this attempt), and so is an error its steps end it with (`aborted`).
pub(crate) async fn run_attempt(
    span: tracing::Span,
    timeout: Duration,
    recorder: Recorder,
    aborted: Aborted,
    flow: impl Future<Output = Result<Output>>,
) -> Attempted {
    let guarded = tokio::time::timeout(timeout, AssertUnwindSafe(recorder.record(flow)).catch_unwind());
    let result = tokio::select! {
        ended = guarded.instrument(span.clone()) => match ended {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(Error::msg(format!("the flow panicked: {}", panic_message(&panic)))),
            Err(_) => Err(Error::msg(format!(
                "the attempt ran past the flow's timeout of {}; it is retried like any failure (set `timeout = \"…\"` on the flow)",
                humantime::format_duration(timeout)
            ))),
        },
        // A journal dropped without aborting closes the channel, which turns this branch off.
        Ok(error) = aborted => Err(error),
    };
    // What a failed on_activate registered is removed, so that it leaves nothing behind.
    let result = match result {
        Err(error) => {
            // Within the flow's timeout too: an undo's step that cannot be recorded waits for ever.
            let undone = tokio::time::timeout(timeout, recorder.undo().instrument(span.clone())).await;
            let failures = undone.unwrap_or_else(|_| vec![format!("undoing did not finish within {timeout:?}")]);
            if failures.is_empty() {
                Err(error)
            } else {
                Err(error.wrap(format!("{}; remove what remains by hand", failures.join("; "))))
            }
        }
        ok => ok,
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
