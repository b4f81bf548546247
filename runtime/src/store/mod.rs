//! The durable record: customer instances, the inbox of runs, and their history.
//!
//! One [`Store`] trait; SQLite (`sqlite/`, embedded, the default) implements it, and with the
//! `postgres` feature PostgreSQL (`postgres/`), which many servers share.

#[cfg(test)]
mod behaviour;
mod codec;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod sqlite;

#[cfg(feature = "postgres")]
pub(crate) use postgres::ScratchSchema;
pub(crate) use records::*;

use crate::model::{EchoMark, Error, InstanceRecord, Result, RunDetail, RunId, RunSummary};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// The storage behind the runtime. Every write is durable when its call returns.
#[async_trait]
pub(crate) trait Store: Send + Sync + 'static {
    /// Stores the instance as active with this configuration (JSON), replacing an earlier one.
    async fn activate_instance(&self, name: &str, config: &str) -> Result<InstanceRecord>;
    /// Puts back the instance as `previous` was (inactive if there was none), after a failed activation.
    async fn restore_instance(&self, name: &str, previous: Option<InstanceRecord>) -> Result<InstanceRecord>;
    /// Marks the instance inactive and forgets its connections' tokens; `None` when there is no such instance.
    async fn deactivate_instance(&self, name: &str) -> Result<Option<InstanceRecord>>;
    /// Replaces instances' stored configurations, each `(name, version read, config)` only if
    /// still at that version; returns how many were replaced.
    async fn replace_configs(&self, changes: Vec<(String, i64, String)>) -> Result<usize>;
    /// Records what the instance's `on_activate` returned (JSON), for its `on_deactivate`.
    async fn record_registration(&self, name: &str, registration: Option<String>) -> Result<()>;
    async fn instance(&self, name: &str) -> Result<Option<InstanceRecord>>;
    /// The sealed OAuth2 token of an instance's connection.
    async fn token(&self, instance: &str, connection: &str) -> Result<Option<String>>;
    /// Stores a connection's OAuth2 token, replacing the one before.
    async fn save_token(&self, token: StoredToken) -> Result<()>;
    /// Every stored token.
    async fn tokens(&self) -> Result<Vec<StoredToken>>;
    /// Replaces tokens' sealed text, each only if still as read; returns how many were replaced.
    async fn replace_tokens(&self, changes: Vec<(StoredToken, String)>) -> Result<usize>;
    async fn instances(&self) -> Result<Vec<InstanceRecord>>;

    /// Adds a run to the inbox, unless its instance is not active, its delivery id was seen, or
    /// the run it replays may not be replayed again. The engine's admission alone calls it.
    async fn enqueue(&self, entry: Entry, when_full: WhenFull) -> Result<Enqueued>;
    /// Takes due runs of each flow, within its limits and `total` in all, and leases them for `lease`.
    async fn claim(&self, flows: Vec<FlowClaim>, total: usize, lease: Duration) -> Result<Vec<ClaimedRun>>;
    /// The steps of `run` that completed, in order.
    async fn completed_steps(&self, run: RunId) -> Result<Vec<CompletedStep>>;
    /// Records a step of `run` that completed.
    async fn record_step(&self, run: RunId, step: CompletedStep) -> Result<()>;
    /// Records how an attempt ended, with its state change; records nothing when the state
    /// changed since the attempt read it.
    async fn finish(&self, attempt: FinishedAttempt) -> Result<Finished>;
    /// A flow's state for an instance.
    async fn state(&self, flow: &str, instance: &str) -> Result<Option<StoredState>>;
    /// Which of `files` the flow's instance has processed already.
    async fn files_done(&self, flow: &str, instance: &str, files: Vec<FileVersion>) -> Result<Vec<FileVersion>>;
    /// Records a file as processed, and the run's progress, in one commit.
    async fn record_file(&self, done: FileDone) -> Result<()>;
    /// Remembers what is being written to a system (`ctx.echoes`), replacing the record's mark.
    async fn mark_echo(&self, mark: EchoMark) -> Result<()>;
    /// Whether a live mark of the record has `mark`'s digest; if not, the record's mark is dropped.
    async fn is_echo(&self, mark: EchoMark) -> Result<bool>;
    /// Makes a failed run waiting for its next attempt due now; `false` if it is not waiting.
    async fn make_due(&self, run: RunId) -> Result<bool>;
    /// Extends the leases of runs this process is still executing.
    async fn heartbeat(&self, runs: Vec<RunId>, lease: Duration) -> Result<()>;
    /// Puts runs this process will not finish back in the inbox (shutting down).
    async fn release(&self, runs: Vec<RunId>) -> Result<()>;
    /// Puts runs whose lease ran out back in the inbox and forgets expired delivery ids.
    async fn maintain(&self) -> Result<()>;
    /// Remembers under `to` the delivery ids remembered under `from`, for each `(from, to)`:
    /// an event flow's, from before ids were kept for the endpoint the sender addressed.
    async fn move_delivery_ids(&self, moves: Vec<(&'static str, &'static str)>) -> Result<()>;
    /// Removes (`remove`) or counts finished runs and payloads past their keep, looking at most
    /// `limit` runs after `after`; the answer says where to go on.
    async fn prune(&self, pruning: Arc<Pruning>, after: RunId, limit: usize, remove: bool) -> Result<Pruned>;
    /// The runs a bulk replay takes, oldest first.
    async fn replayable(&self, selection: Replayable) -> Result<Vec<RunId>>;
    /// One run with its input.
    async fn stored_run(&self, id: RunId) -> Result<Option<StoredRun>>;

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>>;
    async fn run(&self, id: RunId) -> Result<Option<RunDetail>>;

    /// The last tick a schedule flow's ticker passed (ms since the epoch).
    async fn last_tick(&self, flow: &str) -> Result<Option<i64>>;
    /// Records a tick as passed; an earlier one than recorded changes nothing.
    async fn record_tick(&self, flow: &str, tick: i64) -> Result<()>;
    /// The schedule flows paused, per instance or for all.
    async fn paused(&self) -> Result<Vec<Paused>>;
    /// Pauses or resumes; `false` when it was so already.
    async fn set_paused(&self, paused: Paused, pause: bool) -> Result<bool>;

    /// Stores an admin token's digest under `name`; `false` when a token not revoked has it.
    async fn create_admin_token(&self, name: &str, digest: &str) -> Result<bool>;
    /// Revokes the admin token `name`; `false` when there is none not revoked.
    async fn revoke_admin_token(&self, name: &str) -> Result<bool>;
    /// Every admin token, revoked ones too.
    async fn admin_tokens(&self) -> Result<Vec<AdminToken>>;
    /// The name of the admin token, not revoked, whose value has this digest.
    async fn admin_token_named(&self, digest: &str) -> Result<Option<String>>;
    /// How many runs wait in the inbox: queued, or failed and waiting for their next attempt.
    async fn queue_depth(&self) -> Result<u64>;

    /// Records the URL third parties reach the serving process at.
    async fn record_public_url(&self, url: &str) -> Result<()>;
    /// The public URL the last server recorded, if one has served this store.
    async fn public_url(&self) -> Result<Option<String>>;

    /// Waits until another process may have queued runs for this one to claim (PostgreSQL's
    /// `NOTIFY`); never, for a store no other server shares.
    async fn runs_announced(&self) {
        std::future::pending().await
    }

    /// Waits until another process may have changed an instance (PostgreSQL's `NOTIFY`);
    /// never, for a store no other server shares.
    async fn instances_changed(&self) {
        std::future::pending().await
    }

    /// Waits until every write sent so far is committed.
    async fn close(&self);
}

/// How a process uses the store.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `serve`: runs the workers, so it takes the runs a crashed server left behind.
    Server { queue_capacity: usize },
    /// A command: reads, activates, invokes.
    Command,
}

/// Opens the store a URL names: `sqlite:PATH` (created when missing) or, with the `postgres`
/// feature, `postgres://…` (its tables created when missing).
pub(crate) async fn open(url: &str, role: Role) -> Result<Arc<dyn Store>> {
    match url.split_once(':') {
        Some(("sqlite", path)) => Ok(Arc::new(sqlite::SqliteStore::open(path.trim_start_matches("//"), role).await?)),
        #[cfg(feature = "postgres")]
        Some(("postgres" | "postgresql", _)) => Ok(Arc::new(postgres::PostgresStore::open(url, role).await?)),
        #[cfg(not(feature = "postgres"))]
        Some(("postgres" | "postgresql", _)) => Err(Error::msg(
            "this binary was built without the PostgreSQL store; enable aqueduct's `postgres` feature \
             (features = [\"postgres\"] in Cargo.toml) to serve a `postgres://` store",
        )),
        _ => Err(Error::msg(format!(
            "unsupported store URL `{url}`; use `sqlite:PATH` (e.g. `sqlite:aqueduct.db`) or `postgres://HOST/DATABASE`"
        ))),
    }
}
