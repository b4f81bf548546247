//! # aqueduct
//!
//! SaaS integrations as Rust code. Mark async functions with `#[flow(…)]`, wrap third-party
//! APIs with `#[component]`, list the flows in [`integration!`], and get one binary: its HTTP
//! router, cron scheduler, deploy hooks, durable run log and command line are generated at
//! compile time, and a mistake in a definition is a compile error.
//!
//! ```no_run
//! use aqueduct::prelude::*;
//!
//! #[derive(Deserialize)]
//! struct Settings { inventory_url: Url }
//!
//! #[derive(Deserialize)]
//! struct Updates { updates: Vec<Update> }
//!
//! #[derive(Deserialize)]
//! struct Update { item: String, quantity: u32 }
//!
//! #[flow(webhook, path = "/inventory")]
//! async fn stock_changed(ctx: Ctx<Settings>, Json(body): Json<Updates>) -> Result<usize> {
//!     Ok(body.updates.len())
//! }
//!
//! #[flow(schedule = "*/2 * * * *", tz = "Europe/Berlin")]
//! async fn reconcile(ctx: Ctx<Settings>) -> Result<()> {
//!     Ok(())
//! }
//!
//! aqueduct::integration! {
//!     name: "inventory-sync",
//!     config: Settings,
//!     flows: [stock_changed, reconcile],
//! }
//! ```

mod admin;
mod cli;
mod component;
mod engine;
pub mod files;
mod ingress;
mod instances;
mod integration;
mod lifecycle;
mod model;
mod outbound;
mod report;
mod schedule;
mod server;
#[cfg(any(feature = "nats", feature = "amqp", feature = "mqtt"))]
mod sources;
mod store;
pub mod testing;
mod verify;

pub mod prelude;

pub use component::{Connection, KeyPlace, OAuth2, Page, paginate};
pub use integration::{Demo, Integration};
pub use model::{
    Activation, Changes, CheckStatus, Config, Context, Ctx, Echoes, Error, FlowContext, FromRequest, IntoReply, Json,
    Query, Record, Rejection, Reply, Request, Result, RunId, Secret, State, StateValue, Tick, VerifyError,
};
pub use server::{Server, ServerOptions};

#[doc = include_str!("docs/flow.md")]
#[cfg_attr(all(feature = "nats", feature = "amqp", feature = "mqtt"), doc = "```no_run")]
#[cfg_attr(not(all(feature = "nats", feature = "amqp", feature = "mqtt")), doc = "```ignore")]
#[doc = include_str!("docs/flow_sources.md")]
#[doc = "```"]
pub use aqueduct_macros::flow;

/// Marks a struct that wraps one third-party API, and its `impl` block: each method marked
/// `#[action]` is traced and recorded as a durable step of the run that calls it (name,
/// duration, ok or error, and its output).
///
/// When a run is retried or replayed, an action call that an earlier attempt completed returns
/// its recorded output instead of calling the API again, so a side effect that succeeded is
/// not repeated. Calls are matched by the order they start in and their name; a run whose
/// calls no longer match (its code changed) fails for good and says so. An action's `Ok` value
/// is therefore `Serialize + Deserialize`. Outside a run (a unit test calling the component)
/// an action is simply called.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[component]
/// struct Inventory { base: Url, http: reqwest::Client }
///
/// #[component]
/// impl Inventory {
///     #[action]
///     async fn stock(&self, item: &str) -> Result<u32> {
///         let url = self.base.join(&format!("stock/{item}"))?;
///         Ok(self.http.get(url).send().await?.check_status()?.json().await?)
///     }
/// }
/// ```
pub use aqueduct_macros::component;

/// Marks a method of a [`component`] impl as a recorded API call; see [`component`].
///
/// `#[action(undo = method)]` names the method that removes what the action created; it takes
/// the action's output by reference. When an `on_activate` hook fails after the call, the call
/// is undone, so a failed activation leaves nothing registered. The component is then `Clone`:
/// a copy is kept to call the undo with.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Serialize, Deserialize)]
/// struct Webhook { id: u64 }
///
/// #[component]
/// #[derive(Clone)]
/// struct Shop { base: Url, http: reqwest::Client }
///
/// #[component]
/// impl Shop {
///     #[action(undo = delete_webhook)]
///     async fn create_webhook(&self, url: &Url) -> Result<Webhook> {
///         let answer = self.http.post(self.base.join("webhooks")?).json(&serde_json::json!({ "url": url })).send().await?;
///         Ok(answer.check_status()?.json().await?)
///     }
///
///     #[action]
///     async fn delete_webhook(&self, webhook: &Webhook) -> Result<()> {
///         let url = self.base.join(&format!("webhooks/{}", webhook.id))?;
///         self.http.delete(url).send().await?.check_status()?;
///         Ok(())
///     }
/// }
/// ```
pub use aqueduct_macros::action;

/// Lists the flows of one integration and generates its `main`: the binary's command line
/// (`serve`, `flows`, `check`, `instances`, `invoke`, `runs`, `replay`), as the README
/// describes it, and the constant `INTEGRATION` for [`Server::start`].
///
/// It takes `name` (lowercase, `-`), `config` (the type every flow's `Ctx` carries),
/// `flows: [...]`, and optionally `demo` (see [`Demo`]) and how long finished runs are kept
/// where a flow does not say: `keep` (succeeded and ignored runs, 7 days by default),
/// `keep_dead` (30 days) and `keep_payload` (requests, as long as their runs). A server prunes
/// in the background; `runs prune [--dry-run]` does it at once. At compile time it rejects a flow
/// listed twice, two webhook flows on one path and two `on_activate` (or `on_deactivate`)
/// hooks; a `#[flow]` that no integration lists does not compile either.
///
/// ```no_run
/// use aqueduct::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Settings {}
///
/// #[flow(on_activate)]
/// async fn register(ctx: Activation<Settings>) -> Result<()> {
///     Ok(())
/// }
///
/// aqueduct::integration! { name: "minimal", config: Settings, flows: [register], keep: "14d", keep_payload: "2d" }
/// ```
pub use aqueduct_macros::integration;

/// The README's Rust blocks, compiled as doctests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme {}

/// What the generated code calls; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::cli::{init_tracing, run_main};
    pub use crate::component::{
        ActionResult, Argument, Component, Digest, DigestNothing, DigestSerialized, UndoableComponent, keep_undo,
        record_action,
    };
    pub use crate::integration::{ConfigSchema, Integration, NoConfigSchema, SchemaOf};
    pub use crate::model::{
        Broker, BrokerUrl, CallbackHosts, CallbackSecret, Callbacks, Cron, CronField, Encoding, Flow, FlowDescriptor,
        FlowResult, FromRequest, Handler, Handshake, Hook, HookResult, Hooks, Invocable, NoHook, Or, Overlap, Policy,
        PreprocessFlow, Rate, Rejection, Request, RequestKey, Retention, Scheme, SecretField, SyncMethod, SyncResult,
        Trigger, Unchecked, Undoes, Verifier, WebhookFlow, both_on_activate, both_on_deactivate, paired,
        preprocess_listed, share_a_name, share_a_path, share_an_event,
    };
}

/// Expands to nothing when this build has `$feature`, else to an error naming it: a source
/// flow calls it, so using a source whose feature is off is a compile error that says what
/// to enable.
macro_rules! source_feature_check {
    ($name:ident, $feature:literal, $what:literal) => {
        #[cfg(feature = $feature)]
        #[doc(hidden)]
        #[macro_export]
        macro_rules! $name {
            () => {};
        }
        #[cfg(not(feature = $feature))]
        #[doc(hidden)]
        #[macro_export]
        macro_rules! $name {
            () => {
                ::core::compile_error!(::core::concat!(
                    $what,
                    " source needs aqueduct's `",
                    $feature,
                    "` feature, which this build leaves off; enable it in Cargo.toml: ",
                    "aqueduct = { version = \"…\", features = [\"",
                    $feature,
                    "\"] }"
                ));
            };
        }
    };
}

source_feature_check!(__nats_feature, "nats", "a NATS");
source_feature_check!(__amqp_feature, "amqp", "an AMQP");
source_feature_check!(__mqtt_feature, "mqtt", "an MQTT");
