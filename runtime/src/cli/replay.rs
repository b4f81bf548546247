//! `replay ID` and `replay --dead [--flow F]`: run finished runs again with their original input.

use super::Settings;
use crate::error::Result;
use crate::store::{self, ReplaySelection, Role, RunId};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub(super) struct ReplayArgs {
    /// The run to replay.
    #[arg(required_unless_present = "dead", conflicts_with = "dead")]
    id: Option<RunId>,
    /// Replay every dead run that was not replayed yet.
    #[arg(long)]
    dead: bool,
    /// With --dead: only runs of this flow.
    #[arg(long, requires = "dead")]
    flow: Option<String>,
}

pub(super) async fn replay(settings: &Settings, args: ReplayArgs) -> Result<ExitCode> {
    let selection = match args.id {
        Some(id) => ReplaySelection::One(id),
        None => ReplaySelection::Dead { flow: args.flow },
    };
    let store = store::open(&settings.store, Role::Command).await?;
    let replayed = store.replay(selection).await?;
    store.close().await;
    if replayed.is_empty() && args.dead {
        println!("no dead runs to replay");
    }
    for replay in &replayed {
        println!("replayed run {} as run {}", replay.original, replay.replay);
    }
    if !replayed.is_empty() {
        eprintln!("a running `serve` picks the new runs up within a second; otherwise they wait in the inbox");
    }
    Ok(ExitCode::SUCCESS)
}
