//! A run's view of its flow's state for its instance: read at most once per attempt, the
//! change staged by the flow and handed to the store with the attempt's success, which commits
//! it only if no other run committed one since it was read (see `execute.rs` for the rerun).

use crate::model::{Result, StateSlot};
use crate::store::{StateWrite, Store, StoredState};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub(super) struct RunState {
    store: Arc<dyn Store>,
    flow: String,
    instance: String,
    /// What the store held when the attempt first asked.
    stored: OnceCell<Option<StoredState>>,
    staged: Mutex<Option<std::result::Result<String, String>>>,
}

impl RunState {
    pub(super) fn new(store: Arc<dyn Store>, flow: &str, instance: &str) -> RunState {
        RunState {
            store,
            flow: flow.to_owned(),
            instance: instance.to_owned(),
            stored: OnceCell::new(),
            staged: Mutex::new(None),
        }
    }

    /// The write to commit with the attempt's success, if the flow changed the state; or why
    /// the change cannot be recorded.
    pub(super) fn take_write(&self) -> Option<std::result::Result<StateWrite, String>> {
        let staged = self.staged.lock().expect("state lock").take()?;
        Some(staged.map(|json| StateWrite {
            flow: self.flow.clone(),
            instance: self.instance.clone(),
            json,
            read_version: self.stored.get().and_then(|stored| stored.as_ref().map(|stored| stored.version)),
        }))
    }
}

impl StateSlot for RunState {
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move {
            if let Some(Ok(json)) = &*self.staged.lock().expect("state lock") {
                return Ok(Some(json.clone()));
            }
            let stored = self.stored.get_or_try_init(|| self.store.state(&self.flow, &self.instance)).await?;
            Ok(stored.as_ref().map(|stored| stored.json.clone()))
        })
    }

    fn stage(&self, json: std::result::Result<String, String>) {
        *self.staged.lock().expect("state lock") = Some(json);
    }
}
