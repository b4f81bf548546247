//! `replay ID`, `replay --dead [--flow F]` and `replay --ignored [--flow F]`: run finished runs
//! again with their original input, and deliveries once ignored through the flow that takes
//! their event now.

use super::Settings;
use crate::app::App;
use crate::error::{Error, Result};
use crate::flow::{Handler, Trigger};
use crate::integration::{Config, Integration};
use crate::store::{self, IgnoredRun, ReplaySelection, Reroute, Role, RunId};
use clap::Args;
use std::process::ExitCode;

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
}

pub(super) async fn replay<C: Config>(
    integration: Integration<C>,
    settings: &Settings,
    args: ReplayArgs,
) -> Result<ExitCode> {
    let store = store::open(&settings.store, Role::Command).await?;
    let app = App::new(integration, store.clone(), settings.public_url(), settings.workers)?;
    let ignored = match (args.id, args.ignored) {
        (Some(id), _) => store.ignored(Some(id), None).await?,
        (None, true) => store.ignored(None, args.flow.clone()).await?,
        (None, false) => Vec::new(),
    };
    let found = ignored.len();
    let replayed = if args.ignored || !ignored.is_empty() {
        let (reroutes, unhandled) = reroute(&app, ignored);
        if let (Some(_), Some(reason)) = (args.id, unhandled.first()) {
            return Err(Error::msg(reason.clone()));
        }
        unhandled.iter().for_each(|reason| eprintln!("{reason}"));
        let requested: Vec<RunId> = reroutes.iter().map(|reroute| reroute.run).collect();
        let replayed = store.replay(ReplaySelection::Rerouted(reroutes)).await?;
        for run in requested.into_iter().filter(|run| !replayed.iter().any(|replay| replay.original == *run)) {
            let skipped = match store.run(run).await?.and_then(|detail| detail.replayed_as) {
                Some(replay) => format!("run {run} was replayed meanwhile, as run {replay}"),
                None => format!("run {run} belongs to an instance that is no longer active; activate it first"),
            };
            if args.id.is_some() {
                return Err(Error::msg(skipped));
            }
            eprintln!("{skipped}");
        }
        replayed
    } else {
        let selection = match args.id {
            Some(id) => ReplaySelection::One(id),
            None => ReplaySelection::Dead { flow: args.flow },
        };
        store.replay(selection).await?
    };
    store.close().await;
    match (replayed.is_empty() && args.id.is_none(), found) {
        (true, 0) => println!("no {} runs to replay", if args.dead { "dead" } else { "ignored" }),
        (true, found) => println!("none of the {found} ignored deliveries could be replayed yet"),
        _ => {}
    }
    for replay in &replayed {
        println!("replayed run {} as run {}", replay.original, replay.replay);
    }
    if !replayed.is_empty() {
        eprintln!("a running `serve` picks the new runs up within a second; otherwise they wait in the inbox");
    }
    Ok(ExitCode::SUCCESS)
}

/// Routes each ignored delivery again, as its endpoint would now: to the flow that takes its
/// event, or nowhere yet (returned with the reason).
fn reroute<C: Config>(app: &App<C>, ignored: Vec<IgnoredRun>) -> (Vec<Reroute>, Vec<String>) {
    let (mut reroutes, mut unhandled) = (Vec::new(), Vec::new());
    for run in ignored {
        let endpoint = app.integration.flows().iter().find(|flow| flow.name == run.flow);
        let Some(Trigger::Preprocess { route, .. }) = endpoint.map(|endpoint| &endpoint.trigger) else {
            unhandled.push(format!(
                "run {} came to the pre-process endpoint `{}`, which is no longer one in this integration",
                run.id, run.flow
            ));
            continue;
        };
        let event = match route.read_event(&run.request) {
            Ok(event) => event,
            Err(rejection) => {
                unhandled.push(format!("run {}: `{}` no longer reads an event from it: {rejection}", run.id, run.flow));
                continue;
            }
        };
        match app.events.get(&(run.flow.as_str(), event.as_str())) {
            // The payload is checked as a live delivery would be, rather than left to fail each attempt.
            Some(flow) => match flow.handler {
                Handler::Event { check, .. } if let Err(rejection) = check(&run.request) => unhandled.push(format!(
                    "run {} does not fit the flow `{}`, which takes its event now: {rejection}",
                    run.id, flow.name
                )),
                _ => reroutes.push(Reroute { run: run.id, flow: flow.name.into(), ordered: flow.policy.ordered }),
            },
            None => unhandled.push(format!(
                "run {} is a delivery of the `{event}` event, which no flow takes yet; \
                 add a flow with `event = \"{event}\"`, deploy it and replay the run again",
                run.id
            )),
        }
    }
    (reroutes, unhandled)
}
