//! A flow's state per instance — a polling cursor, a mapping of ids between two systems —
//! read with [`Ctx::state`](super::Ctx::state) and committed with the run's success.

use super::error::{Error, Result};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Where a run's state is read from and staged to; the engine gives each attempt one.
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
pub struct State<T: Serialize> {
    value: T,
    slot: Arc<dyn StateSlot>,
    changed: bool,
}

impl<T: Serialize + DeserializeOwned + Default> State<T> {
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
        Ok(State { value, slot, changed: false })
    }
}

impl<T: Serialize> State<T> {
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

impl<T: Serialize> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.changed = true;
        &mut self.value
    }
}

impl<T: Serialize> Drop for State<T> {
    /// Staged when the flow lets go of it: the engine commits it if the run succeeds.
    fn drop(&mut self) {
        if self.changed {
            self.slot.stage(serde_json::to_string(&self.value).map_err(|error| error.to_string()));
        }
    }
}
