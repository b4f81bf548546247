//! `runs [--flow F] [--instance I] [--status S] [--limit N] [--json]`, `runs show ID` and
//! `runs prune [--dry-run]`.

use crate::integration::Integration;
use crate::model::{Config, Error, Result, RunId, RunStatus};
use crate::report;
use crate::store::{self, Role, RunFilter};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct RunsArgs {
    #[command(subcommand)]
    command: Option<RunsCommand>,
    /// Only runs of this flow.
    #[arg(long)]
    flow: Option<String>,
    /// Only runs of this instance.
    #[arg(long)]
    instance: Option<String>,
    /// Only runs in this status.
    #[arg(long, value_parser = status_parser())]
    status: Option<RunStatus>,
    /// At most this many runs, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum RunsCommand {
    /// Show one run: its input, attempts, steps, errors and output.
    Show {
        id: RunId,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove now the finished runs and payloads past their flow's keep (`keep`, `keep_dead`,
    /// `keep_payload`), as a running server does in the background.
    Prune {
        /// List what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `--status`: one of the statuses' names.
fn status_parser() -> impl TypedValueParser<Value = RunStatus> {
    PossibleValuesParser::new(RunStatus::ALL.map(RunStatus::as_str))
        .map(|name| RunStatus::parse(&name).expect("a possible value names a status"))
}

pub(super) async fn run<C: Config>(integration: Integration<C>, store_url: &str, args: RunsArgs) -> Result<ExitCode> {
    if let Some(RunsCommand::Prune { dry_run }) = args.command {
        return super::prune::prune(integration, store_url, dry_run).await;
    }
    let store = store::open(store_url, Role::Command).await?;
    let out = &mut std::io::stdout().lock();
    if let Some(RunsCommand::Show { id, json }) = args.command {
        let run = store.run(id).await?.ok_or_else(|| Error::msg(format!("there is no run {id}")))?;
        if json {
            writeln!(out, "{}", serde_json::to_string_pretty(&run)?)?;
        } else {
            report::write_detail(out, &run)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let filter = RunFilter {
        flow: args.flow,
        instance: args.instance,
        status: args.status,
        limit: args.limit,
        ..RunFilter::default()
    };
    let runs = store.runs(&filter).await?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&runs)?)?;
    } else {
        report::write_list(out, &runs)?;
    }
    Ok(ExitCode::SUCCESS)
}
