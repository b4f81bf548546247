//! `replay ID`, `replay --dead [--flow F]` and `replay --ignored [--flow F]`: run finished runs
//! again with their original input, and deliveries once ignored through the flow that takes
//! their event now — decided as a live delivery's would be.

use super::CommandContext;
use crate::integration::Integration;
use crate::model::{Config, Error, Result, RunId};
use crate::store::Replayable;
use clap::Args;
use std::io::Write;
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
    let engine = &context.engine;
    let runs = match args.id {
        Some(id) => vec![id],
        None if args.dead => engine.replayable(Replayable::Dead { flow: args.flow }).await?,
        None => engine.replayable(Replayable::Ignored { endpoint: args.flow }).await?,
    };
    let out = &mut std::io::stdout().lock();
    let found = runs.len();
    let mut replayed = 0;
    for id in runs {
        match engine.replay(id, args.id.is_some(), args.fresh).await? {
            Ok(replay) => {
                writeln!(out, "replayed run {id} as run {replay}")?;
                replayed += 1;
            }
            Err(reason) if args.id.is_some() => return Err(Error::msg(reason.to_string())),
            Err(reason) => eprintln!("{reason}"),
        }
    }
    context.store.close().await;
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
