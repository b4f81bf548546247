//! `invoke FLOW [--instance NAME] [--payload FILE]`: run one flow once, in this process.

use super::CommandContext;
use crate::engine::{Admitted, Execution, NewRun};
use crate::instances::Instances;
use crate::integration::Integration;
use crate::model::{Cause, Config, Error, Request, Result, Trigger};
use clap::Args;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub(super) struct InvokeArgs {
    /// The flow to run.
    flow: String,
    /// The instance to run it for [default: the only active one].
    #[arg(long)]
    instance: Option<String>,
    /// A file holding the request body, `-` for standard input (webhook flows).
    #[arg(long)]
    payload: Option<PathBuf>,
    /// The query string, without `?` (webhook flows).
    #[arg(long)]
    query: Option<String>,
}

pub(super) async fn invoke<C: Config>(
    integration: Integration<C>,
    store_url: &str,
    args: InvokeArgs,
) -> Result<ExitCode> {
    let flows = integration.flows();
    let flow = flows.named(&args.flow).ok_or_else(|| {
        Error::msg(format!("there is no flow `{}`; the flows are: {}", args.flow, flows.names().join(", ")))
    })?;
    if matches!(flow.trigger, Trigger::Schedule { .. }) && (args.payload.is_some() || args.query.is_some()) {
        return Err(Error::msg(format!("`{}` is a schedule flow; it takes no payload", flow.name)));
    }
    let request =
        Arc::new(Request::new(args.query.as_deref(), Default::default(), read_payload(args.payload.as_ref())?));
    flow.check_invocation(&request)?;

    let context = CommandContext::open(&integration, store_url).await?;
    let instance = match args.instance {
        Some(instance) => instance,
        None => only_active_instance(&context.instances).await?,
    };
    let new_run = NewRun::new(flow, instance.clone(), Cause::Invoke, request).executed_by(Execution::Caller);
    match context.engine.admit(new_run).await? {
        Admitted::Ran { id, result: Ok(output) } => {
            eprintln!("run {id} succeeded");
            if let Some(output) = output {
                writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&output)?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Admitted::Ran { id, result: Err(error) } => {
            eprintln!("run {id} failed: {error:#}");
            Ok(ExitCode::FAILURE)
        }
        _ => Err(Error::msg(format!("there is no active instance `{instance}`; `instances list` shows the instances"))),
    }
}

fn read_payload(path: Option<&PathBuf>) -> Result<Vec<u8>> {
    let Some(path) = path else { return Ok(Vec::new()) };
    let mut payload = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut payload)?;
    } else {
        payload =
            std::fs::read(path).map_err(|error| Error::msg(format!("cannot read {}: {error}", path.display())))?;
    }
    Ok(payload)
}

async fn only_active_instance<C: Config>(instances: &Instances<C>) -> Result<String> {
    let active = instances.active().await?;
    match active.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::msg("there is no active instance; activate one with `instances activate NAME --config FILE`")),
        several => Err(Error::msg(format!(
            "there are several active instances ({}); pick one with --instance",
            several.join(", ")
        ))),
    }
}
