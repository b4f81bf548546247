//! Executing one attempt of a webhook or schedule flow's run, and deciding what comes next:
//! done, another attempt later, or dead.

use super::attempt::{Attempted, run_attempt};
use crate::app::App;
use crate::context::{Ctx, RunInfo};
use crate::error::{Error, Result};
use crate::flow::{FlowDescriptor, Handler, Output};
use crate::integration::Config;
use crate::store::{ClaimedRun, FinishedAttempt, Outcome};
use std::sync::Arc;

/// Whether a failed attempt may be followed by another.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retries {
    /// As the flow's policy says (runs from the inbox).
    ByPolicy,
    /// Never (`invoke` runs a flow once).
    None,
}

/// Runs one attempt of `run` and records how it ended; returns the attempt's result.
pub(crate) async fn execute<C: Config>(app: &Arc<App<C>>, run: ClaimedRun, retries: Retries) -> Result<Output> {
    let started_at = jiff::Timestamp::now();
    let span =
        tracing::info_span!("run", id = %run.id, flow = run.flow, instance = run.instance, attempt = run.attempt);
    let flow = app.integration.flow(&run.flow);
    let attempted = match prepare(app, &run, flow, retries).await {
        Ok((config, call)) => {
            let name = flow.map(|flow| flow.name).unwrap_or_default();
            let info = RunInfo {
                instance: run.instance.clone(),
                flow: name,
                run_id: run.id,
                attempt: run.attempt,
                span: span.clone(),
            };
            let ctx = Ctx::new(config, info, app.http.clone());
            run_attempt(span, call(ctx, run.request)).await
        }
        Err(error) => Attempted { result: Err(error), steps: Vec::new(), logs: Vec::new() },
    };
    let outcome = match &attempted.result {
        Ok(output) => Outcome::Succeeded(output.clone()),
        Err(error) => {
            let error_text = format!("{error:#}");
            let retry = flow
                .filter(|_| retries == Retries::ByPolicy && !error.is_permanent())
                .filter(|flow| run.attempt <= flow.policy.retries)
                .map(|flow| flow.policy.retry_delay(run.attempt).max(asked_delay(error, flow)));
            match retry {
                Some(delay) => Outcome::Retry { error: error_text, due_at: jiff::Timestamp::now() + delay },
                None => Outcome::Dead { error: error_text },
            }
        }
    };
    let due_at = match &outcome {
        Outcome::Retry { due_at, .. } => Some(*due_at),
        _ => None,
    };
    let Attempted { result, steps, logs } = attempted;
    app.store.finish(FinishedAttempt { id: run.id, attempt: run.attempt, started_at, outcome, steps, logs }).await?;
    if let Some(due_at) = due_at {
        super::wake_at(app, due_at);
    }
    result
}

/// The third party's `Retry-After`, at most an hour (or the backoff's maximum, if longer): a
/// far-off date would park the run, and an ordered flow's whole queue behind it.
fn asked_delay<C>(error: &Error, flow: &FlowDescriptor<C>) -> std::time::Duration {
    let cap = flow.policy.backoff_max.max(std::time::Duration::from_secs(3600));
    error.retry_delay().unwrap_or_default().min(cap)
}

type RunFn<C> = fn(Ctx<C>, Arc<crate::ingress::Request>) -> futures::future::BoxFuture<'static, Result<Output>>;

/// The instance's configuration and the flow's entry point, or why the run cannot start.
async fn prepare<C: Config>(
    app: &App<C>,
    run: &ClaimedRun,
    flow: Option<&FlowDescriptor<C>>,
    retries: Retries,
) -> Result<(Arc<C>, RunFn<C>)> {
    let flow = flow.ok_or_else(|| {
        Error::permanent(Error::msg(format!("this binary has no flow `{}`; was it renamed or removed?", run.flow)))
    })?;
    // Attempts are counted when claimed: more than the policy allows means earlier ones never
    // finished, each time stopping the process (a crash, an out-of-memory kill). Stop there.
    if retries == Retries::ByPolicy && run.attempt > flow.policy.retries + 1 {
        return Err(Error::permanent(Error::msg(format!(
            "the run was interrupted {} times by a stopped process; it is not tried again",
            run.attempt - 1
        ))));
    }
    let Handler::Event { run: call, .. } = flow.handler else {
        return Err(Error::permanent(Error::msg(format!(
            "`{}` runs no code of its own: it is a lifecycle hook or a pre-process endpoint",
            run.flow
        ))));
    };
    let config =
        app.instances.get(app.store.as_ref(), &run.instance).await?.ok_or_else(|| {
            Error::permanent(Error::msg(format!("the instance `{}` is no longer active", run.instance)))
        })?;
    Ok((config, call))
}
