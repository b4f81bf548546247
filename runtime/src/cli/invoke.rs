//! `invoke FLOW [--instance NAME] [--payload FILE]`: run one flow once, in this process.

use super::Settings;
use crate::app::App;
use crate::engine::{LEASE, Retries, execute, keeping_lease};
use crate::error::{Error, Result};
use crate::flow::{Handler, Trigger};
use crate::ingress::Request;
use crate::integration::{Config, Integration};
use crate::store::{self, Cause, ClaimedRun, Enqueued, NewRun, Role, Start, WhenFull};
use clap::Args;
use std::io::Read;
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
    settings: &Settings,
    args: InvokeArgs,
) -> Result<ExitCode> {
    let flow = integration.flow(&args.flow).ok_or_else(|| {
        let names: Vec<&str> = integration.flows().iter().map(|flow| flow.name).collect();
        Error::msg(format!("there is no flow `{}`; the flows are: {}", args.flow, names.join(", ")))
    })?;
    let Handler::Event { check, .. } = flow.handler else {
        return Err(Error::msg(format!(
            "`{}` runs no code of its own: a lifecycle hook runs with `instances activate` and `instances deactivate`, \
             a pre-process endpoint hands its deliveries to its event flows",
            flow.name
        )));
    };
    if matches!(flow.trigger, Trigger::Schedule { .. }) && (args.payload.is_some() || args.query.is_some()) {
        return Err(Error::msg(format!("`{}` is a schedule flow; it takes no payload", flow.name)));
    }
    let request =
        Arc::new(Request::new(args.query.as_deref(), Default::default(), read_payload(args.payload.as_ref())?));
    check(&request).map_err(|rejection| {
        Error::msg(format!("the payload is refused ({}): {rejection}", rejection.status().as_u16()))
    })?;

    let store = store::open(&settings.store, Role::Command).await?;
    let app = App::new(integration, store, settings.public_url(), settings.workers)?;
    let instance = match args.instance {
        Some(instance) => instance,
        None => only_active_instance(&app).await?,
    };
    let new_run = NewRun {
        flow: flow.name.into(),
        instance: instance.clone(),
        cause: Cause::Invoke,
        request: request.clone(),
        dedupe: None,
        start: Start::Leased(LEASE),
        replay_of: None,
        ordered: false,
    };
    let Enqueued::Created(id) = app.store.enqueue(new_run, WhenFull::Wait).await? else {
        return Err(Error::msg(format!(
            "there is no active instance `{instance}`; `instances list` shows the instances"
        )));
    };
    let claimed = ClaimedRun { id, flow: flow.name.into(), instance, attempt: 1, request };
    match keeping_lease(&app, id, execute(&app, claimed, Retries::None)).await {
        Ok(output) => {
            eprintln!("run {id} succeeded");
            if let Some(output) = output {
                println!("{}", serde_json::to_string_pretty(&output)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("run {id} failed: {error:#}");
            Ok(ExitCode::FAILURE)
        }
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

async fn only_active_instance<C: Config>(app: &App<C>) -> Result<String> {
    let active: Vec<String> = app
        .store
        .instances()
        .await?
        .into_iter()
        .filter(|instance| instance.active)
        .map(|instance| instance.name)
        .collect();
    match active.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::msg("there is no active instance; activate one with `instances activate NAME --config FILE`")),
        several => Err(Error::msg(format!(
            "there are several active instances ({}); pick one with --instance",
            several.join(", ")
        ))),
    }
}
