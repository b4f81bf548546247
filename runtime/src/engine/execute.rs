//! Executing a claimed run of a webhook or schedule flow and recording how it ended.

use super::attempt::run_attempt;
use crate::app::App;
use crate::context::{Ctx, RunInfo};
use crate::error::{Error, Result};
use crate::flow::{Handler, Output};
use crate::integration::Config;
use crate::store::{ClaimedRun, FinishedAttempt, RunStatus};
use std::sync::Arc;

/// Runs one attempt of `run` and records it; returns the attempt's result.
pub(crate) async fn execute<C: Config>(app: &App<C>, run: ClaimedRun) -> Result<Output> {
    let started_at = jiff::Timestamp::now();
    let span =
        tracing::info_span!("run", id = %run.id, flow = run.flow, instance = run.instance, attempt = run.attempt);
    let (result, steps) = match prepare(app, &run).await {
        Ok((config, call)) => {
            let info = RunInfo {
                instance: run.instance.clone(),
                flow: call.0,
                run_id: run.id,
                attempt: run.attempt,
                span: span.clone(),
            };
            let ctx = Ctx::new(config, info, app.http.clone());
            run_attempt(span, (call.1)(ctx, Arc::new(run.request))).await
        }
        Err(error) => (Err(error), Vec::new()),
    };
    let (status, output, error) = match &result {
        Ok(output) => (RunStatus::Succeeded, output.clone(), None),
        Err(error) => (RunStatus::Dead, None, Some(format!("{error:#}"))),
    };
    let finished = FinishedAttempt { id: run.id, attempt: run.attempt, status, started_at, output, error, steps };
    app.store.finish(finished).await?;
    result
}

type RunFn<C> = fn(Ctx<C>, Arc<crate::ingress::Request>) -> futures::future::BoxFuture<'static, Result<Output>>;

/// The instance's configuration and the flow's entry point, or why the run cannot start.
async fn prepare<C: Config>(app: &App<C>, run: &ClaimedRun) -> Result<(Arc<C>, (&'static str, RunFn<C>))> {
    let flow = app.integration.flow(&run.flow).ok_or_else(|| {
        Error::permanent(Error::msg(format!("this binary has no flow `{}`; was it renamed or removed?", run.flow)))
    })?;
    let Handler::Event { run: call, .. } = flow.handler else {
        return Err(Error::permanent(Error::msg(format!("`{}` is a lifecycle hook; it runs at activation", run.flow))));
    };
    let config =
        app.instances.get(app.store.as_ref(), &run.instance).await?.ok_or_else(|| {
            Error::permanent(Error::msg(format!("the instance `{}` is no longer active", run.instance)))
        })?;
    Ok((config, (flow.name, call)))
}
