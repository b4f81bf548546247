//! The durable record: customer instances, the inbox of runs, and their history.
//!
//! One [`Store`] trait; SQLite (`sqlite.rs`, embedded, the default) implements it.

mod records;
mod sqlite;

pub use records::*;

use crate::error::{Error, Result};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// The storage behind the runtime. All writes are durable when the call returns.
#[async_trait]
pub(crate) trait Store: Send + Sync + 'static {
    /// Stores the instance as active with this configuration (JSON), replacing an earlier one.
    async fn activate_instance(&self, name: &str, config: &str) -> Result<InstanceRecord>;
    /// Marks the instance inactive; `None` when there is no such instance.
    async fn deactivate_instance(&self, name: &str) -> Result<Option<InstanceRecord>>;
    async fn instance(&self, name: &str) -> Result<Option<InstanceRecord>>;
    async fn instances(&self) -> Result<Vec<InstanceRecord>>;

    /// Adds a run to the inbox, unless its instance is not active or its dedupe key was seen.
    async fn enqueue(&self, run: NewRun) -> Result<Enqueued>;
    /// Adds runs for one schedule tick, one per active instance; a tick fires once per instance.
    async fn enqueue_tick(&self, flow: &str, tick: jiff::Timestamp) -> Result<Vec<RunId>>;
    /// Takes up to `limit` due runs and leases them for `lease`.
    async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<ClaimedRun>>;
    /// Records how an attempt ended.
    async fn finish(&self, attempt: FinishedAttempt) -> Result<()>;

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>>;
    async fn run(&self, id: RunId) -> Result<Option<RunDetail>>;
}

/// Opens the store a URL names: `sqlite:PATH` (created when missing).
pub(crate) async fn open(url: &str) -> Result<Arc<dyn Store>> {
    match url.split_once(':') {
        Some(("sqlite", path)) => Ok(Arc::new(sqlite::SqliteStore::open(path.trim_start_matches("//")).await?)),
        _ => Err(Error::msg(format!("unsupported store URL `{url}`; use `sqlite:PATH`, e.g. `sqlite:aqueduct.db`"))),
    }
}
