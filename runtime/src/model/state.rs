//! A flow's state per instance — a polling cursor, a mapping of ids between two systems —
//! read with [`Ctx::state`](super::Ctx::state) and committed with the run's success.

use super::error::{Error, Result};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// What a flow's state or cursor may be: committed as JSON, and `Default` until a run commits one.
///
/// ```
/// use aqueduct::prelude::*;
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Since { page_token: Option<String> }
///
/// fn kept_between_runs<T: aqueduct::StateValue>() {}
/// kept_between_runs::<Since>();
/// ```
#[diagnostic::on_unimplemented(
    message = "a flow's state and cursor are committed as JSON with the run's success, so `{Self}` must be `Serialize`, `Deserialize` and `Default`",
    label = "this type cannot be kept between runs",
    note = "derive `Default, Serialize, Deserialize` for it; `Default` is its value before any run has committed one"
)]
pub trait StateValue: Serialize + DeserializeOwned + Default {}

// Not recommended, so that a type missing a bound gets this trait's message, not serde's.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + Default> StateValue for T {}

/// A run's named state slots: its flow's state (`""`), its cursor (`"cursor"`), the digests
/// of the records it has seen (`"records"`). The engine gives each attempt one set; every
/// slot changed is committed with the run's success, or none is.
pub(crate) trait StateSlots: Send + Sync {
    fn slot(&self, name: &'static str) -> Arc<dyn StateSlot>;
}

/// Where one of a run's states is read from and staged to.
pub(crate) trait StateSlot: Send + Sync {
    /// The state as JSON: what this attempt staged, else what is stored (`None`: never set).
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>>;
    /// What to commit when the attempt succeeds, or why it cannot be recorded.
    fn stage(&self, json: std::result::Result<String, String>);
}

/// The state of one flow for one instance, typed. Change it through `DerefMut`; the change is
/// committed when the run succeeds, in the same transaction as the run's result, and dropped
/// when the run fails. When two runs of the flow for the same instance change it at once,
/// the second to finish is run again (its completed steps are not called again) on the state
/// the first committed, so no update is lost; a flow with `ordered = true` never races.
///
/// ```
/// use aqueduct::prelude::*;
/// # #[derive(Deserialize)] struct Settings {}
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Seen { orders: u64 }
///
/// #[flow(webhook, path = "/orders")]
/// async fn count_orders(ctx: Ctx<Settings>) -> Result<u64> {
///     let mut seen = ctx.state::<Seen>().await?;
///     seen.orders += 1;
///     Ok(seen.orders)
/// }
/// # aqueduct::integration! { name: "orders", config: Settings, flows: [count_orders] }
/// ```
pub struct State<T> {
    value: T,
    slot: Arc<dyn StateSlot>,
    changed: bool,
    /// How the value is staged when dropped; a pointer, not a bound on `State`, so that a type
    /// that cannot be state is one error, where it is asked for.
    to_json: fn(&T) -> std::result::Result<String, String>,
}

impl<T: StateValue> State<T> {
    pub(crate) async fn load(slot: Arc<dyn StateSlot>) -> Result<State<T>> {
        let value = match slot.load().await? {
            Some(json) => serde_json::from_str(&json).map_err(|error| {
                Error::permanent(Error::msg(format!(
                    "the stored state does not fit `{}`: {error}",
                    std::any::type_name::<T>()
                )))
            })?,
            None => T::default(),
        };
        let to_json = |value: &T| serde_json::to_string(value).map_err(|error| error.to_string());
        Ok(State { value, slot, changed: false, to_json })
    }
}

impl<T> State<T> {
    /// Replaces the state.
    ///
    /// ```
    /// # use aqueduct::prelude::*;
    /// # #[derive(Deserialize)] struct Settings {}
    /// # #[derive(Default, Serialize, Deserialize)] struct Cursor { since: Option<String> }
    /// # #[flow(schedule = "0 * * * *")]
    /// async fn poll(ctx: Ctx<Settings>) -> Result<()> {
    ///     let mut cursor = ctx.state::<Cursor>().await?;
    ///     cursor.set(Cursor { since: Some("2026-12-01T00:00:00Z".into()) });
    ///     Ok(())
    /// }
    /// # aqueduct::integration! { name: "poller", config: Settings, flows: [poll] }
    /// ```
    pub fn set(&mut self, value: T) {
        **self = value;
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.changed = true;
        &mut self.value
    }
}

impl<T> Drop for State<T> {
    /// Staged when the flow lets go of it: the engine commits it if the run succeeds.
    fn drop(&mut self) {
        if self.changed {
            self.slot.stage((self.to_json)(&self.value));
        }
    }
}
