//! Testing an integration in its own process: [`Harness`] builds it on a store of its own,
//! activates instances, posts webhooks (signed for you when the endpoint verifies them), fires
//! schedule ticks at a chosen instant, invokes flows, and reads back runs, their steps and log
//! lines, and flows' state. Requests go straight to the integration's router, with no port;
//! a test waits for a run with [`Harness::run`], never with a sleep.
//!
//! ```
//! use aqueduct::prelude::*;
//! use aqueduct::testing::Harness;
//!
//! #[derive(Deserialize)]
//! struct Settings { signing_secret: Secret }
//!
//! #[derive(Deserialize)]
//! struct Order { id: u64 }
//!
//! #[flow(webhook, path = "/orders", verify = standard_webhooks(secret = signing_secret))]
//! async fn order_placed(ctx: Ctx<Settings>, Json(order): Json<Order>) -> Result<u64> {
//!     tracing::info!(order = order.id, "imported");
//!     Ok(order.id)
//! }
//!
//! mod app {
//!     aqueduct::integration! { name: "orders", config: super::Settings, flows: [super::order_placed] }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aqueduct::Result<()> {
//! let harness = Harness::start(app::INTEGRATION).await?;
//! harness.activate("acme", serde_json::json!({ "signing_secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" })).await?;
//! let answer = harness.webhook::<order_placed>("acme").json(&serde_json::json!({ "id": 7 })).send().await?;
//! assert_eq!(answer.status, 202);
//! let run = harness.run(answer.run_id().unwrap()).await?;
//! assert_eq!((run.status.as_str(), run.output), ("succeeded", Some(serde_json::json!(7))));
//! assert_eq!(run.attempts[0].logs, ["INFO imported order=7"]);
//! harness.stop().await;
//! # Ok(()) }
//! ```

mod delivery;
mod report;
mod temp_store;

pub use delivery::{Answer, Delivery};
pub use report::{AttemptReport, RunReport, StepReport};

use crate::engine::{Admitted, Execution, NewRun};
use crate::integration::Integration;
use crate::lifecycle;
use crate::model::{
    Cause, Config, Error, Flow, FlowDescriptor, Request, Result, RunId, RunStatus, SyncMethod, Tick, Trigger,
    WebhookFlow,
};
use crate::server::{Server, ServerOptions};
use axum::Router;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use temp_store::TempStore;
use tower::ServiceExt;

/// Where a harness's integration says it is served.
const PUBLIC_URL: &str = "http://aqueduct.test";

/// How long [`Harness::run`] waits for a run to finish.
const PATIENCE: Duration = Duration::from_secs(30);

/// One integration under test, on a store of its own that goes with it.
pub struct Harness<C: Config> {
    server: Server<C>,
    router: Router,
    /// Numbers Standard Webhooks messages.
    deliveries: AtomicU64,
    _store: TempStore,
}

impl<C: Config> Harness<C> {
    /// Builds `integration` on a fresh store: workers run, but no schedule fires by the clock
    /// ([`Harness::tick`] fires one) and no broker is consumed. The store is SQLite, or, when
    /// `AQUEDUCT_TEST_STORE` names a PostgreSQL database (with the `postgres` feature), a schema
    /// of its own in it: the same tests then prove the integration on PostgreSQL.
    pub async fn start(integration: Integration<C>) -> Result<Harness<C>> {
        // Run logs are recorded through tracing: installed here unless the test installed its own.
        crate::engine::init_tracing("warn", true);
        let store = TempStore::new().await?;
        let options = ServerOptions {
            store: store.url(),
            key_file: Some(store.key_file()?),
            public_url: Some(PUBLIC_URL.parse().expect("a URL")),
            ..ServerOptions::default()
        };
        let (server, router) = Server::in_process(integration, options).await?;
        Ok(Harness { server, router, deliveries: AtomicU64::new(0), _store: store })
    }

    /// Activates (or re-configures) `instance` with `config`, running `on_activate`, as
    /// `instances activate` does.
    pub async fn activate(&self, instance: &str, config: serde_json::Value) -> Result<()> {
        self.server.activate(instance, config).await
    }

    /// Runs `on_deactivate` and retires `instance`.
    pub async fn deactivate(&self, instance: &str) -> Result<()> {
        lifecycle::deactivate(self.server.engine(), self.server.instances(), instance, false).await.map(drop)
    }

    /// A delivery to the webhook flow `F` of `instance`, to fill in and send.
    pub fn webhook<F: WebhookFlow + Flow<C>>(&self, instance: &str) -> Delivery<'_, C> {
        Delivery::new(self, self.descriptor::<F>(), instance, F::PATH, http::Method::POST)
    }

    /// A call to the sync flow `F` of `instance`, with the flow's method, to fill in and send;
    /// its answer is what the caller gets (the reply, or `202` with the status URL).
    pub fn call<F: WebhookFlow + Flow<C>>(&self, instance: &str) -> Delivery<'_, C> {
        let flow = self.descriptor::<F>();
        let method = match flow.trigger {
            Trigger::Sync { method: SyncMethod::Get, .. } => http::Method::GET,
            _ => http::Method::POST,
        };
        Delivery::new(self, flow, instance, F::PATH, method)
    }

    /// A `GET` of `url` — a path, or a URL on the harness's public URL such as a sync run's
    /// status URL — through the integration's router.
    pub async fn get(&self, url: &str) -> Result<Answer> {
        let path = url.strip_prefix(PUBLIC_URL).unwrap_or(url);
        let request = http::Request::get(path)
            .body(axum::body::Body::empty())
            .map_err(|error| Error::msg(format!("cannot build the request: {error}")))?;
        Answer::read(self.router.clone().oneshot(request).await.expect("the router answers every request")).await
    }

    /// Fires the schedule flow `F`'s tick at `at` for `instance` (once: firing the same tick
    /// again admits nothing); returns its run.
    pub async fn tick<F: Flow<C>>(&self, instance: &str, at: jiff::Timestamp) -> Result<RunId> {
        let flow = self.descriptor::<F>();
        match self.server.engine().fire_tick(flow, instance.to_owned(), Tick::at(at)).await? {
            Admitted::Accepted(id) | Admitted::Duplicate(id) => Ok(id),
            other => {
                Err(Error::msg(format!("the tick of `{}` for `{instance}` was not admitted: {other:?}", flow.name)))
            }
        }
    }

    /// Runs the flow `F` once for `instance`, here and now, with `payload` as a JSON body (as
    /// the `invoke` command does); returns its finished run.
    pub async fn invoke<F: Flow<C>>(&self, instance: &str, payload: serde_json::Value) -> Result<RunReport> {
        let flow = self.descriptor::<F>();
        let body = if payload.is_null() { bytes::Bytes::new() } else { payload.to_string().into() };
        let request = Arc::new(Request::new(None, Default::default(), body));
        flow.check_invocation(&request)?;
        let new_run = NewRun::new(flow, instance, Cause::Invoke, request).executed_by(Execution::Caller);
        match self.server.engine().admit(new_run).await? {
            Admitted::Ran { id, .. } => self.run(id).await,
            other => Err(Error::msg(format!("`{}` did not run for `{instance}`: {other:?}", flow.name))),
        }
    }

    /// Run `id` once it has finished (succeeded, dead or ignored); an error if it has not
    /// within 30 seconds, saying where it is. The waits between attempts are skipped: a failed
    /// attempt's retry starts at once, whatever the backoff or `Retry-After` said.
    pub async fn run(&self, id: RunId) -> Result<RunReport> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let detail =
                self.server.store().run(id).await?.ok_or_else(|| Error::msg(format!("there is no run {id}")))?;
            let status = detail.summary.status;
            if status.is_finished() || status == RunStatus::Ignored {
                return Ok(RunReport::from(detail));
            }
            if status == RunStatus::Failed {
                self.server.engine().hurry(id).await?;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::msg(format!(
                    "run {id} did not finish within {PATIENCE:?}: it is {}",
                    status.as_str()
                )));
            }
            // The harness polls the store, so that the test itself never waits by the clock.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The state of the flow `F` for `instance`, as the last successful run committed it.
    pub async fn state<F: Flow<C>, T: DeserializeOwned>(&self, instance: &str) -> Result<Option<T>> {
        let flow = self.descriptor::<F>();
        match self.server.store().state(flow.name, instance).await? {
            Some(stored) => Ok(Some(serde_json::from_str(&stored.json)?)),
            None => Ok(None),
        }
    }

    /// Stops the integration: runs in progress get the drain timeout.
    pub async fn stop(self) {
        self.server.stop().await;
    }

    fn descriptor<F: Flow<C>>(&self) -> &'static FlowDescriptor<C> {
        self.server.engine().flows().named(F::DESCRIPTOR.name).expect("a flow of this integration")
    }
}
