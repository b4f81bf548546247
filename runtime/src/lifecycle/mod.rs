//! Customer instances: activation runs `on_activate` and stores the instance; deactivation
//! runs `on_deactivate` and retires it.

mod cache;
pub(crate) mod config_file;

pub(crate) use cache::InstanceCache;

use crate::app::App;
use crate::context::{Activation, endpoint_url};
use crate::engine::{LEASE, keeping_lease, run_attempt};
use crate::error::{Error, Result};
use crate::flow::{Handler, Trigger};
use crate::integration::Config;
use crate::store::{Cause, Enqueued, FinishedAttempt, NewRun, Outcome, RunId, Start, WhenFull};
use config_file::ParsedConfig;
use std::sync::Arc;
use url::Url;

/// What activating an instance produced.
pub(crate) struct Activated {
    /// Each webhook flow's name with the URL this instance receives it at.
    pub endpoints: Vec<(&'static str, Url)>,
    /// The run of the `on_activate` hook, if the integration has one.
    pub hook_run: Option<RunId>,
}

/// Runs `on_activate` for `name` with `config`, then stores the instance as active.
pub(crate) async fn activate<C: Config>(app: &App<C>, name: &str, config: ParsedConfig<C>) -> Result<Activated> {
    check_instance_name(name)?;
    let settings = Arc::new(config.config);
    // Stored first: a provider often sends a first delivery (GitHub's ping) while the hook is
    // registering the webhook, and it must not get 404.
    let previous = app.store.instance(name).await?;
    let record = app.store.activate_instance(name, &config.json).await?;
    app.instances.update(&record)?;
    let hook_run = match run_hook(app, Trigger::OnActivate, name, settings.clone()).await {
        Ok(run) => run,
        Err(error) => {
            let restored = app.store.restore_instance(name, previous).await?;
            app.instances.update(&restored)?;
            return Err(error.wrap(format!("activating `{name}` failed, so its earlier state is restored")));
        }
    };
    let endpoints =
        app.integration.webhooks().map(|(flow, path)| (flow.name, endpoint_url(&app.public_url, name, path))).collect();
    Ok(Activated { endpoints, hook_run })
}

/// Runs `on_deactivate` for the active instance `name`, then marks it inactive. When the hook
/// fails the instance stays active, unless `force`.
pub(crate) async fn deactivate<C: Config>(app: &App<C>, name: &str, force: bool) -> Result<Option<RunId>> {
    let record = app.store.instance(name).await?.filter(|record| record.active).ok_or_else(|| {
        Error::msg(format!("there is no active instance `{name}`; `instances list` shows the instances"))
    })?;
    let settings = Arc::new(config_file::decode::<C>(&record.config)?);
    let hook_run = match run_hook(app, Trigger::OnDeactivate, name, settings).await {
        Ok(run) => run,
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
    if let Some(record) = app.store.deactivate_instance(name).await? {
        app.instances.update(&record)?;
    }
    Ok(hook_run)
}

/// Runs the integration's hook for `trigger`, if it has one, recorded as a run.
async fn run_hook<C: Config>(app: &App<C>, trigger: Trigger, instance: &str, config: Arc<C>) -> Result<Option<RunId>> {
    let Some(hook) = app.integration.hook(trigger) else { return Ok(None) };
    let Handler::Lifecycle(call) = hook.handler else { unreachable!("lifecycle triggers have lifecycle handlers") };
    let cause = if trigger == Trigger::OnActivate { Cause::Activate } else { Cause::Deactivate };
    let new_run = NewRun {
        flow: hook.name.into(),
        instance: instance.into(),
        cause,
        request: Arc::default(),
        dedupe: None,
        start: Start::Leased(LEASE),
        replay_of: None,
        ordered: false,
    };
    let Enqueued::Created(id) = app.store.enqueue(new_run, WhenFull::Wait).await? else {
        unreachable!("lifecycle runs are stored whether or not the instance is active")
    };
    let activation = Activation::new(config, instance.to_owned(), app.public_url.clone(), app.http.clone());
    let span = tracing::info_span!("run", id = %id, flow = hook.name, instance);
    let started_at = jiff::Timestamp::now();
    let attempted = keeping_lease(app, id, run_attempt(span, call(activation))).await;
    let outcome = match &attempted.result {
        Ok(output) => Outcome::Succeeded(output.clone()),
        // A failed hook is reported to whoever activated; they decide whether to try again.
        Err(error) => Outcome::Dead { error: format!("{error:#}") },
    };
    let (steps, logs) = (attempted.steps, attempted.logs);
    app.store.finish(FinishedAttempt { id, attempt: 1, started_at, outcome, steps, logs }).await?;
    attempted
        .result
        .map(|_| Some(id))
        .map_err(|error| error.wrap(format!("the {} hook `{}` failed (run {id})", trigger.kind(), hook.name)))
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
