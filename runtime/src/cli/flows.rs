//! `flows`, `flows pause | resume` and `check`: what the integration is made of.

use super::CommandContext;
use crate::admin;
use crate::integration::Integration;
use crate::model::{Config, Error, Result};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(super) struct FlowsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Option<FlowsCommand>,
}

#[derive(Subcommand)]
enum FlowsCommand {
    /// Stop a schedule flow's ticks, for one instance or all, until it is resumed; the ticks
    /// meanwhile are not run later, even with `catch_up`.
    Pause {
        /// The schedule flow.
        flow: String,
        /// Only this instance's ticks (else every instance's).
        #[arg(long)]
        instance: Option<String>,
    },
    /// Start a paused schedule flow's ticks again, from its next fire time.
    Resume {
        flow: String,
        #[arg(long)]
        instance: Option<String>,
    },
}

pub(super) async fn run<C: Config>(integration: &Integration<C>, store_url: &str, args: FlowsArgs) -> Result<ExitCode> {
    let context = CommandContext::open(integration, store_url).await?;
    let store = &context.store;
    let (flow, instance, pause) = match args.command {
        None => return list(integration, &context, args.json).await,
        Some(FlowsCommand::Pause { flow, instance }) => (flow, instance, true),
        Some(FlowsCommand::Resume { flow, instance }) => (flow, instance, false),
    };
    let whose = instance.as_ref().map_or("every instance".to_owned(), |instance| format!("`{instance}`"));
    let changed =
        admin::set_paused(integration.flows(), store.as_ref(), &flow, instance, pause).await?.map_err(Error::msg)?;
    let (done, already) = if pause { ("paused", "was paused already") } else { ("resumed", "was not paused") };
    let said = if changed { format!("{done} `{flow}` for {whose}") } else { format!("`{flow}` {already} for {whose}") };
    writeln!(std::io::stdout().lock(), "{said}")?;
    Ok(ExitCode::SUCCESS)
}

async fn list<C: Config>(integration: &Integration<C>, context: &CommandContext<C>, json: bool) -> Result<ExitCode> {
    let paused = context.store.paused().await?;
    let active = admin::configured(&context.instances).await?;
    let out = &mut std::io::stdout().lock();
    if json {
        let flows: Vec<Value> =
            integration.flows().iter().map(|flow| admin::describe(flow, &paused, &active)).collect::<Result<_>>()?;
        writeln!(out, "{}", serde_json::to_string_pretty(&flows)?)?;
    } else {
        admin::write_table(out, integration.flows(), &paused)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn check<C: Config>(integration: &Integration<C>, store_url: &str) -> Result<ExitCode> {
    let context = CommandContext::open(integration, store_url).await?;
    let paused = context.store.paused().await?;
    let active = admin::configured(&context.instances).await?;
    for flow in integration.flows().iter() {
        admin::describe(flow, &paused, &active)?;
    }
    let instances = context.store.instances().await?;
    let active = instances.iter().filter(|instance| instance.active).count();
    let out = &mut std::io::stdout().lock();
    writeln!(out, "integration  {}", integration.name())?;
    writeln!(out, "store        {store_url} (schema up to date; {active} active of {} instances)", instances.len())?;
    writeln!(out)?;
    admin::write_table(out, integration.flows(), &paused)?;
    Ok(ExitCode::SUCCESS)
}
