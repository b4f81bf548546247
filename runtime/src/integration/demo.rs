//! Demo mode: what an example runs beside its server when started with no command.

use crate::engine::Engine;
use crate::instances::Instances;
use crate::lifecycle;
use crate::model::{Config, Error, Flow, Result, RunStatus, RunSummary, Tick, WebhookFlow, endpoint_url, parse_config};
use crate::report;
use crate::store::{RunFilter, Store};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// A handle on the running server for an integration's demo: activate an instance against a
/// fake third party, then watch the runs it causes.
///
/// Name the demo in `integration!`; it runs when the binary starts without a command:
///
/// ```no_run
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings { greeting: String }
///
/// #[flow(webhook, path = "/hello")]
/// async fn hello(ctx: Ctx<Settings>) -> Result<String> {
///     Ok(ctx.config().greeting.clone())
/// }
///
/// async fn demo(demo: Demo<Settings>) -> Result<()> {
///     demo.activate("demo", serde_json::json!({ "greeting": "hi" })).await?;
///     let url = demo.endpoint::<hello>("demo");
///     demo.http().post(url).send().await?;
///     demo.wait_for_runs::<hello>(1, std::time::Duration::from_secs(10)).await?;
///     demo.print_runs().await
/// }
///
/// aqueduct::integration! { name: "hello", config: Settings, flows: [hello], demo: demo }
/// ```
pub struct Demo<C: 'static> {
    engine: Arc<Engine<C>>,
    instances: Arc<Instances<C>>,
    store: Arc<dyn Store>,
    /// Runs newer than this were caused by the demo.
    since: jiff::Timestamp,
}

impl<C: Config> Demo<C> {
    pub(crate) fn new(engine: Arc<Engine<C>>, instances: Arc<Instances<C>>, store: Arc<dyn Store>) -> Demo<C> {
        // Whole milliseconds, as the store keeps times: a run made in this very millisecond counts.
        let now = jiff::Timestamp::now().as_millisecond();
        let since = jiff::Timestamp::from_millisecond(now).expect("now is a valid time");
        Demo { engine, instances, store, since }
    }

    /// Activates (or re-configures) the instance `name` with `config` as if from a config
    /// file: checks it, stores it, runs `on_activate`, and prints its endpoints.
    pub async fn activate(&self, name: &str, config: serde_json::Value) -> Result<()> {
        let activated = lifecycle::activate(&self.engine, &self.instances, name, parse_config::<C>(config)?).await?;
        let out = &mut std::io::stdout().lock();
        writeln!(out, "activated instance {name}")?;
        for (flow, url) in &activated.endpoints {
            writeln!(out, "  {flow:<20} {url}")?;
        }
        Ok(())
    }

    /// The public URL at which `instance` receives the webhook flow `F`.
    pub fn endpoint<F: WebhookFlow + Flow<C>>(&self, instance: &str) -> Url {
        endpoint_url(self.engine.public_url(), instance, F::PATH)
    }

    /// Fires the schedule flow `F`'s tick for `instance` now, rather than at its cron's next
    /// fire time (a demo of a daily import need not wait a day).
    ///
    /// ```no_run
    /// # use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    /// #[flow(schedule = "0 3 * * *")]
    /// async fn nightly(_ctx: Ctx<Settings>) -> Result<()> { Ok(()) }
    ///
    /// async fn demo(demo: Demo<Settings>) -> Result<()> {
    ///     demo.activate("demo", serde_json::json!({})).await?;
    ///     demo.tick::<nightly>("demo").await?;
    ///     demo.wait_for_runs::<nightly>(1, std::time::Duration::from_secs(10)).await
    /// }
    /// # aqueduct::integration! { name: "nightly", config: Settings, flows: [nightly], demo: demo }
    /// ```
    pub async fn tick<F: Flow<C>>(&self, instance: &str) -> Result<()> {
        let flow = self.engine.flows().named(F::DESCRIPTOR.name).expect("a flow of this integration");
        self.engine.fire_tick(flow, instance.to_owned(), Tick::at(jiff::Timestamp::now())).await.map(drop)
    }

    /// A shared HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        self.engine.http()
    }

    /// Waits until `count` runs of the flow `F` started since the demo began have finished;
    /// fails after `timeout`.
    pub async fn wait_for_runs<F: Flow<C>>(&self, count: usize, timeout: Duration) -> Result<()> {
        let flow = F::DESCRIPTOR.name;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let runs = self.runs().await?;
            let finished = runs
                .iter()
                .filter(|run| run.flow == flow && matches!(run.status, RunStatus::Succeeded | RunStatus::Dead))
                .count();
            if finished >= count {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::msg(format!(
                    "only {finished} of {count} runs of `{flow}` finished within {timeout:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Prints the runs started since the demo began, as `runs` does.
    pub async fn print_runs(&self) -> Result<()> {
        let runs = self.runs().await?;
        Ok(report::write_list(&mut std::io::stdout().lock(), &runs)?)
    }

    async fn runs(&self) -> Result<Vec<RunSummary>> {
        let filter = RunFilter { limit: 1000, ..RunFilter::default() };
        let runs = self.store.runs(&filter).await?;
        Ok(runs.into_iter().filter(|run| run.created_at >= self.since).collect())
    }
}
