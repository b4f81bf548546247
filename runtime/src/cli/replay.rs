//! `replay ID`, `replay --dead [--flow F]` and `replay --ignored [--flow F]`: run finished runs
//! again with their original input, and deliveries once ignored through the flow that takes
//! their event now — decided as a live delivery's would be.

use super::CommandContext;
use crate::engine::{Admitted, Engine, NewRun, Routed};
use crate::integration::Integration;
use crate::model::{Cause, Config, Error, FlowDescriptor, Request, Result, RunId, RunStatus};
use crate::store::{Replay, Replayable, StoredRun};
use clap::Args;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
#[command(group = clap::ArgGroup::new("many").args(["dead", "ignored"]))]
pub(super) struct ReplayArgs {
    /// The run to replay.
    #[arg(required_unless_present_any = ["dead", "ignored"], conflicts_with_all = ["dead", "ignored"])]
    id: Option<RunId>,
    /// Replay every dead run that was not replayed yet.
    #[arg(long, conflicts_with = "ignored")]
    dead: bool,
    /// Replay every ignored delivery whose event a flow takes now.
    #[arg(long)]
    ignored: bool,
    /// With --dead or --ignored: only runs of this flow (for --ignored, of this pre-process endpoint).
    #[arg(long, requires = "many")]
    flow: Option<String>,
    /// Call every action again. Without it, a replay gets back the recorded output of each
    /// step the replayed run completed, so a side effect that succeeded is not repeated.
    #[arg(long)]
    fresh: bool,
}

pub(super) async fn replay<C: Config>(
    integration: Integration<C>,
    store_url: &str,
    args: ReplayArgs,
) -> Result<ExitCode> {
    let context = CommandContext::open(&integration, store_url).await?;
    let store = &context.store;
    let runs = match args.id {
        Some(id) => vec![id],
        None if args.dead => store.replayable(Replayable::Dead { flow: args.flow }).await?,
        None => store.replayable(Replayable::Ignored { endpoint: args.flow }).await?,
    };
    let out = &mut std::io::stdout().lock();
    let found = runs.len();
    let mut replayed = 0;
    for id in runs {
        match replay_one(&context, id, args.id.is_some(), args.fresh).await {
            Ok(replay) => {
                writeln!(out, "replayed run {id} as run {replay}")?;
                replayed += 1;
            }
            Err(reason) if args.id.is_some() => return Err(reason),
            Err(reason) => eprintln!("{reason:#}"),
        }
    }
    store.close().await;
    let kind = if args.dead { "dead" } else { "ignored" };
    match (replayed, found) {
        (0, 0) => writeln!(out, "no {kind} runs to replay")?,
        (0, found) => {
            let what = if args.dead { "dead runs" } else { "ignored deliveries" };
            writeln!(out, "none of the {found} {what} could be replayed yet")?
        }
        _ => eprintln!("a running `serve` picks the new runs up within a second; otherwise they wait in the inbox"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Admits a replay of run `id`; the error says why it cannot be replayed. `by_id`: the person
/// named this run, so a finished run replayed before may be replayed again. `fresh`: its
/// completed steps are called again.
async fn replay_one<C: Config>(context: &CommandContext<C>, id: RunId, by_id: bool, fresh: bool) -> Result<RunId> {
    let engine = &context.engine;
    let mut run = context.store.stored_run(id).await?.ok_or_else(|| Error::msg(format!("there is no run {id}")))?;
    let ignored = run.status == RunStatus::Ignored;
    if run.cause.is_lifecycle() {
        return Err(Error::msg(format!(
            "run {id} is a lifecycle hook; activate or deactivate the instance again instead"
        )));
    }
    if let Some(replay) = run.replayed_as.filter(|_| ignored) {
        return Err(Error::msg(format!(
            "run {id} was ignored and has been replayed already, as run {replay}; see `runs show {id}`"
        )));
    }
    if !ignored && !run.status.is_finished() {
        return Err(Error::msg(format!(
            "run {id} is {}; only a finished run (succeeded or dead) can be replayed",
            run.status.as_str()
        )));
    }
    let Some(request) = run.request.take() else {
        return Err(Error::msg(format!(
            "run {id}'s payload was removed after the flow's keep_payload, so it cannot be replayed; \
             keep payloads longer with `keep_payload = \"…\"` on the flow"
        )));
    };
    let flow = if ignored { reroute(engine, &run, &request)? } else { flow_of(engine, &run)? };
    let replay = Replay { of: id, again: by_id && !ignored, fresh };
    let new_run = NewRun::new(flow, run.instance, Cause::Replay, Arc::new(request)).replaying(replay);
    match engine.admit(new_run).await? {
        Admitted::Accepted(replay) => Ok(replay),
        Admitted::ReplayedAlready(replay) => {
            Err(Error::msg(format!("run {id} was replayed meanwhile, as run {replay}")))
        }
        Admitted::InstanceInactive => {
            Err(Error::msg(format!("run {id} belongs to an instance that is no longer active; activate it first")))
        }
        other => Err(Error::msg(format!("run {id} could not be replayed: {other:?}"))),
    }
}

/// The flow a finished run ran, if this binary still has it.
fn flow_of<C: Config>(engine: &Engine<C>, run: &StoredRun) -> Result<&'static FlowDescriptor<C>> {
    engine.flows().named(&run.flow).ok_or_else(|| {
        Error::msg(format!("run {} is of the flow `{}`, which this integration no longer has", run.id, run.flow))
    })
}

/// The flow that takes an ignored delivery now, routed as its endpoint would route it live,
/// and its payload checked as a live delivery's would be, rather than left to fail each attempt.
fn reroute<C: Config>(engine: &Engine<C>, run: &StoredRun, request: &Request) -> Result<&'static FlowDescriptor<C>> {
    let id = run.id;
    let endpoint = engine.flows().named(&run.flow).filter(|endpoint| endpoint.path().is_some()).ok_or_else(|| {
        Error::msg(format!("run {id} came to the endpoint `{}`, which is no longer one in this integration", run.flow))
    })?;
    let flow = match engine.router().route(endpoint, request) {
        Routed::To(flow) if flow.name == endpoint.name => {
            return Err(Error::msg(format!(
                "run {id} came to `{}`, which is no longer a pre-process endpoint, and was never run",
                run.flow
            )));
        }
        Routed::To(flow) => flow,
        Routed::Unhandled { event, .. } => {
            return Err(Error::msg(format!(
                "run {id} is a delivery of the `{event}` event, which no flow takes yet; \
                 add a flow with `event = \"{event}\"`, deploy it and replay the run again"
            )));
        }
        Routed::Refused(rejection) => {
            return Err(Error::msg(format!("run {id}: `{}` no longer reads an event from it: {rejection}", run.flow)));
        }
    };
    flow.check(request).map_err(|rejection| {
        Error::msg(format!("run {id} does not fit the flow `{}`, which takes its event now: {rejection}", flow.name))
    })?;
    Ok(flow)
}
