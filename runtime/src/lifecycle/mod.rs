//! Customer instances' lifecycle: activation stores the instance and runs `on_activate`;
//! deactivation runs `on_deactivate` and retires it.

mod config_check;
pub(crate) mod config_file;

use crate::engine::{Admitted, Engine, Execution, NewRun};
use crate::instances::Instances;
use crate::model::{Cause, Config, Error, ParsedConfig, Request, Result, RunId, Tick, Trigger, endpoint_url};
use std::sync::Arc;
use url::Url;

/// What activating an instance produced.
pub(crate) struct Activated {
    /// Each endpoint's flow name with the URL this instance receives it at.
    pub endpoints: Vec<(&'static str, Url)>,
    /// The run of the `on_activate` hook, if the integration has one.
    pub hook_run: Option<RunId>,
}

/// Checks `config` against what the flows need, stores `name` as active with it, then runs
/// `on_activate` and keeps what it returned (what it registered) for `on_deactivate`.
///
/// An instance that is active already has its registration removed first (`on_deactivate`
/// with the configuration and registration it had), so that activating it again — a rotated
/// secret — never leaves two registrations. When `on_activate` fails, the instance is put back
/// as it was, registered again under its earlier configuration if its registration was removed.
pub(crate) async fn activate<C: Config>(
    engine: &Arc<Engine<C>>,
    instances: &Instances<C>,
    name: &str,
    config: ParsedConfig<C>,
) -> Result<Activated> {
    check_instance_name(name)?;
    config_check::check_config(engine.flows(), &config.config)?;
    let previous = instances.stored(name).await?;
    let reregistering = previous.as_ref().is_some_and(|previous| previous.active);
    if reregistering && let Err(error) = run_hook(engine, Trigger::OnDeactivate, name).await {
        return Err(error.wrap(format!(
            "changing `{name}`'s configuration removes what its activation registered first, and that failed; nothing changed"
        )));
    }
    // Stored first: a provider often sends a first delivery (GitHub's ping) while the hook is
    // registering the webhook, and it must not get 404.
    instances.activate(name, config).await?;
    let hook = match run_hook(engine, Trigger::OnActivate, name).await {
        Ok(hook) => hook,
        Err(error) => {
            instances.restore(name, previous).await?;
            let restored = if reregistering { reregister(engine, instances, name).await } else { Ok(()) };
            let error = error.wrap(format!("activating `{name}` failed, so its earlier state is restored"));
            return match restored {
                Ok(()) => Err(error),
                Err(again) => Err(error.wrap(format!(
                    "registering its earlier configuration again failed too ({again:#}): `{name}` is active with \
                     its earlier configuration but may not be registered; activate it again"
                ))),
            };
        }
    };
    let hook_run = keep_registration(instances, name, hook).await?;
    if !reregistering {
        backfill(engine, name).await;
    }
    let public_url = engine.public_url();
    let endpoints = engine
        .flows()
        .iter()
        .filter_map(|flow| Some((flow.name, endpoint_url(public_url, name, flow.path()?))))
        .collect();
    Ok(Activated { endpoints, hook_run })
}

/// Starts, for a newly activated instance, a run of each schedule flow with `backfill = true`,
/// rather than leave it to the first tick. A tick that cannot be admitted is logged: the
/// instance is active, and the schedule's next tick runs the flow anyway.
async fn backfill<C: Config>(engine: &Arc<Engine<C>>, name: &str) {
    for flow in engine.flows().iter().filter(|flow| matches!(flow.trigger, Trigger::Schedule { backfill: true, .. })) {
        let tick = Tick::at(jiff::Timestamp::now());
        if let Err(error) = engine.fire_tick(flow, name.to_owned(), tick).await {
            tracing::warn!(flow = flow.name, instance = name, error = %format!("{error:#}"), "the backfill run was not admitted; the next tick runs the flow");
        }
    }
}

/// Runs `on_activate` under the configuration the instance has again, after a failed change.
async fn reregister<C: Config>(engine: &Arc<Engine<C>>, instances: &Instances<C>, name: &str) -> Result<()> {
    let hook = run_hook(engine, Trigger::OnActivate, name).await?;
    keep_registration(instances, name, hook).await.map(drop)
}

/// Keeps with the instance what its `on_activate` run returned; that run, if there was one.
async fn keep_registration<C: Config>(
    instances: &Instances<C>,
    name: &str,
    hook: Option<HookRun>,
) -> Result<Option<RunId>> {
    let Some(HookRun { run, registered }) = hook else { return Ok(None) };
    instances.record_registration(name, registered).await?;
    Ok(Some(run))
}

/// Runs `on_deactivate` (with what `on_activate` registered) for the active instance `name`,
/// then marks it inactive. When the hook fails the instance stays active, unless `force`.
pub(crate) async fn deactivate<C: Config>(
    engine: &Arc<Engine<C>>,
    instances: &Instances<C>,
    name: &str,
    force: bool,
) -> Result<Option<RunId>> {
    if instances.config(name).await?.is_none() {
        return Err(Error::msg(format!("there is no active instance `{name}`; `instances list` shows the instances")));
    }
    let hook_run = match run_hook(engine, Trigger::OnDeactivate, name).await {
        Ok(hook) => hook.map(|hook| hook.run),
        Err(error) if force => {
            tracing::warn!(instance = name, error = %format!("{error:#}"), "on_deactivate failed; deactivating anyway (--force)");
            None
        }
        Err(error) => {
            return Err(error.wrap(format!(
                "deactivating `{name}` failed, so it stays active; fix the cause and run it again, or pass --force to deactivate without the hook"
            )));
        }
    };
    instances.deactivate(name).await?;
    Ok(hook_run)
}

/// A lifecycle hook's run that succeeded.
struct HookRun {
    run: RunId,
    /// What it returned, as JSON: for `on_activate`, what it registered.
    registered: Option<String>,
}

/// Runs the integration's hook for `trigger`, if it has one, as a run of its own.
async fn run_hook<C: Config>(engine: &Arc<Engine<C>>, trigger: Trigger, instance: &str) -> Result<Option<HookRun>> {
    let Some(hook) = engine.flows().hook(trigger) else { return Ok(None) };
    let cause = if trigger == Trigger::OnActivate { Cause::Activate } else { Cause::Deactivate };
    let new_run = NewRun::new(hook, instance, cause, Arc::new(Request::default())).executed_by(Execution::Caller);
    match engine.admit(new_run).await? {
        Admitted::Ran { id, result: Ok(output) } => {
            Ok(Some(HookRun { run: id, registered: output.map(|value| value.to_string()) }))
        }
        // A failed hook is reported to whoever activated; they decide whether to try again.
        Admitted::Ran { id, result: Err(error) } => {
            Err(error.wrap(format!("the {} hook `{}` failed (run {id})", trigger.kind(), hook.name)))
        }
        other => Err(Error::msg(format!("the {} hook `{}` did not run: {other:?}", trigger.kind(), hook.name))),
    }
}

/// Instance names appear in URLs and file names: lowercase letters, digits, `-` and `_`.
pub(crate) fn check_instance_name(name: &str) -> Result<()> {
    let fits = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if fits {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "`{name}` cannot name an instance: use up to 63 lowercase letters, digits, `-` and `_`, starting with a letter or digit, e.g. `acme-corp`"
        )))
    }
}
