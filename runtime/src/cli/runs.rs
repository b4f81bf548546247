//! `runs [--flow F] [--instance I] [--status S] [--json]` and `runs show ID`.

use super::{Settings, table};
use crate::error::{Error, Result};
use crate::store::{self, RunDetail, RunFilter, RunId, RunStatus, RunSummary};
use clap::{Args, Subcommand};
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
    #[arg(long, value_enum)]
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
}

pub(super) async fn run(settings: &Settings, args: RunsArgs) -> Result<ExitCode> {
    let store = store::open(&settings.store, store::Role::Command).await?;
    if let Some(RunsCommand::Show { id, json }) = args.command {
        let run = store.run(id).await?.ok_or_else(|| Error::msg(format!("there is no run {id}")))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&run)?);
        } else {
            print_detail(&run);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let filter = RunFilter { flow: args.flow, instance: args.instance, status: args.status, limit: args.limit };
    let runs = store.runs(&filter).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
    } else {
        print_list(&runs);
    }
    Ok(ExitCode::SUCCESS)
}

/// The runs as a table, newest first.
pub(crate) fn print_list(runs: &[RunSummary]) {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            vec![
                run.id.to_string(),
                run.flow.clone(),
                run.instance.clone(),
                run.cause.as_str().into(),
                run.status.as_str().into(),
                run.attempts.to_string(),
                format!("{:.3}", run.created_at),
                duration(run),
            ]
        })
        .collect();
    table::print(&["ID", "FLOW", "INSTANCE", "CAUSE", "STATUS", "ATTEMPTS", "CREATED", "TOOK"], &rows);
}

fn duration(run: &RunSummary) -> String {
    match run.finished_at {
        Some(finished) => format!("{}ms", finished.duration_since(run.created_at).as_millis()),
        None => String::new(),
    }
}

/// The query string with the values of credential-like parameters hidden.
fn redacted(query: &str) -> String {
    let hidden = |key: &str| {
        ["token", "secret", "password", "key", "sig", "auth"].iter().any(|word| key.to_lowercase().contains(word))
    };
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if hidden(key) => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn print_detail(run: &RunDetail) {
    let summary = &run.summary;
    println!("run       {}", summary.id);
    println!("flow      {}", summary.flow);
    println!("instance  {}", summary.instance);
    println!("cause     {}", summary.cause.as_str());
    println!("status    {}", summary.status.as_str());
    println!("attempts  {}", summary.attempts);
    println!("created   {:.3}", summary.created_at);
    if let Some(query) = &run.query {
        println!("query     {}", redacted(query));
    }
    if !run.body.is_empty() {
        println!("input     {}", run.body);
    }
    if let Some(original) = run.replay_of {
        println!("replays   run {original}");
    }
    for attempt in &run.history {
        let took = attempt.finished_at.duration_since(attempt.started_at).as_millis();
        let outcome = attempt.error.as_deref().map_or("ok".to_owned(), |error| format!("failed: {error}"));
        println!("attempt {} at {} ({took}ms): {outcome}", attempt.attempt, attempt.started_at);
        for step in &attempt.steps {
            let outcome = step.error.as_deref().map_or("ok".to_owned(), |error| format!("failed: {error}"));
            println!("  step {} ({:.1}ms): {outcome}", step.name, step.duration_ms);
        }
        for line in &attempt.logs {
            println!("  {} {:<5} {}", line.at, line.level, line.message);
        }
    }
    if let Some(due_at) = run.due_at {
        println!("next      attempt {} at {due_at}", summary.attempts + 1);
    }
    if let Some(replay) = run.replayed_as {
        println!("replayed  as run {replay}");
    }
    if let Some(output) = &run.output {
        println!("output    {output}");
    }
    if let Some(error) = &run.error {
        println!("error     {error}");
    }
}
