//! A run's view of its flow's states for its instance (its state, its cursor, the records it
//! has seen): each read at most once per attempt, the changes staged by the flow and handed to
//! the store with the attempt's success, which commits them only if no other run committed
//! any of them since they were read (see `execute.rs` for the rerun).

use crate::model::{Result, StateSlot, StateSlots};
use crate::store::{StateWrite, Store, StoredState};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The slots an attempt has used, each stored under its flow's name and its own.
pub(super) struct RunStates {
    store: Arc<dyn Store>,
    flow: String,
    instance: String,
    slots: Mutex<Vec<(&'static str, Arc<RunState>)>>,
}

impl RunStates {
    pub(super) fn new(store: Arc<dyn Store>, flow: &str, instance: &str) -> RunStates {
        RunStates { store, flow: flow.to_owned(), instance: instance.to_owned(), slots: Mutex::default() }
    }

    /// The writes to commit with the attempt's success, one per slot changed; or why one
    /// cannot be recorded.
    pub(super) fn take_writes(&self) -> std::result::Result<Vec<StateWrite>, String> {
        let slots = self.slots.lock().expect("state lock");
        slots.iter().filter_map(|(_, slot)| slot.take_write()).collect()
    }
}

impl StateSlots for RunStates {
    fn slot(&self, name: &'static str) -> Arc<dyn StateSlot> {
        let mut slots = self.slots.lock().expect("state lock");
        if let Some((_, slot)) = slots.iter().find(|(known, _)| *known == name) {
            return slot.clone();
        }
        // The flow's own state keeps the flow's name as its key, as before there were others.
        let key = if name.is_empty() { self.flow.clone() } else { format!("{}:{name}", self.flow) };
        let slot = Arc::new(RunState::new(self.store.clone(), &key, &self.instance));
        slots.push((name, slot.clone()));
        slot
    }
}

struct RunState {
    store: Arc<dyn Store>,
    flow: String,
    instance: String,
    /// What the store held when the attempt first asked.
    stored: OnceCell<Option<StoredState>>,
    staged: Mutex<Option<std::result::Result<String, String>>>,
}

impl RunState {
    fn new(store: Arc<dyn Store>, flow: &str, instance: &str) -> RunState {
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
    fn take_write(&self) -> Option<std::result::Result<StateWrite, String>> {
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
