//! The PostgreSQL store, for many servers sharing one store: the same tables and rules as the
//! SQLite store, each write one transaction. Servers claim runs with `FOR UPDATE SKIP LOCKED`,
//! hear of runs another server queued by `LISTEN`/`NOTIFY` (`announcements.rs`), and take over
//! the runs of a server that stopped renewing its leases.

mod admin_tokens;
mod announcements;
mod batches;
mod echoes;
mod files;
mod history;
mod inbox;
mod instances;
mod prune;
mod schedules;
mod schema;
mod scratch;
mod state;
mod steps;
mod tokens;

use super::codec::{self, now};
use crate::model::{EchoMark, Error, InstanceRecord, Result, RunDetail, RunId, RunSummary};
use crate::store::{
    AdminToken, ClaimedRun, CompletedStep, Enqueued, Entry, FileDone, FileVersion, Finished, FinishedAttempt,
    FlowClaim, Paused, Pruned, Pruning, Replayable, Role, RunFilter, Start, Store, StoredRun, StoredState, StoredToken,
    WhenFull,
};
use announcements::{Announcements, Announcer};
use batches::Batches;
use futures::future::BoxFuture;
use inbox::{Admission, Outcomes};
pub(crate) use scratch::ScratchSchema;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::Duration;

/// Connections a server keeps: its workers and its ingest share them.
const SERVER_CONNECTIONS: u32 = 8;
const COMMAND_CONNECTIONS: u32 = 2;
/// Connections for claims, beside those: a claim loop claims one batch at a time.
const CLAIM_CONNECTIONS: u32 = 2;
/// How long a request waits for a connection before it is answered 503: while PostgreSQL is
/// down, senders hear so in seconds rather than hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) struct PostgresStore {
    pool: PgPool,
    /// Connections whose commits do not wait for the disk, for claims: a claim lost in a
    /// crash leaves its run queued, to be claimed again, and anything a run records after its
    /// claim commits after it, so the claim is durable by then.
    claims: PgPool,
    /// What other processes announce (a server's).
    announcements: Option<Announcements>,
    /// What this process queues, announced.
    announcer: Announcer,
    admissions: Batches<Admission, Enqueued>,
    /// Attempts' outcomes that changed no state.
    outcomes: Batches<Outcomes, Finished>,
}

impl PostgresStore {
    pub(crate) async fn open(url: &str, role: Role) -> Result<PostgresStore> {
        let shown = without_password(url);
        let options: PgConnectOptions =
            url.parse().map_err(|error| Error::msg(format!("cannot read the PostgreSQL URL `{shown}`: {error}")))?;
        let cannot_connect =
            |error: sqlx::Error| Error::msg(format!("cannot open the PostgreSQL store at {shown}: {error}"));
        let mut connection = PgConnection::connect_with(&options).await.map_err(cannot_connect)?;
        schema::migrate(&mut connection).await.map_err(|error| {
            Error::msg(format!("cannot bring the PostgreSQL store at {shown} to this binary's schema: {error:#}"))
        })?;
        connection.close().await.map_err(cannot_connect)?;
        let pool = PgPoolOptions::new()
            .max_connections(match role {
                Role::Server { .. } => SERVER_CONNECTIONS,
                Role::Command => COMMAND_CONNECTIONS,
            })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection PostgreSQL closed fails its next statement and is dropped; pinging
            // before every use would cost a round trip on every write.
            .test_before_acquire(false)
            .connect_lazy_with(options.clone());
        let claims = PgPoolOptions::new()
            .max_connections(CLAIM_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_lazy_with(options.options([("synchronous_commit", "off")]));
        let announcements = match role {
            Role::Server { .. } => Some(Announcements::listen(pool.clone())),
            Role::Command => None,
        };
        let announcer = Announcer::start(pool.clone());
        let admissions = Batches::start(pool.clone(), inbox::admit);
        let outcomes = Batches::start(pool.clone(), inbox::finish);
        Ok(PostgresStore { pool, claims, announcements, announcer, admissions, outcomes })
    }

    /// Runs `work` in a transaction of its own, committed when it succeeds: for writes of more
    /// than one statement.
    async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, sqlx::Result<T>> + Send,
    {
        within_patience(async {
            let mut transaction = self.pool.begin().await?;
            let value = work(&mut transaction).await?;
            transaction.commit().await?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` on a pooled connection, each statement committed on its own: for reads, and
    /// for writes of one statement (a round trip each, where a transaction would take three).
    async fn connection<T, F>(&self, work: F) -> Result<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, sqlx::Result<T>> + Send,
    {
        within_patience(async {
            let mut connection = self.pool.acquire().await?;
            work(&mut connection).await
        })
        .await
    }
}

/// How long a store call may take. A connection lost while PostgreSQL restarts can leave a
/// statement waiting for an answer that never comes; the call fails instead.
const PATIENCE: Duration = Duration::from_secs(10);

async fn within_patience<T>(work: impl Future<Output = sqlx::Result<T>>) -> Result<T> {
    match tokio::time::timeout(PATIENCE, work).await {
        Ok(done) => done.map_err(failed),
        Err(_) => Err(failed(format!("no answer within {}s", PATIENCE.as_secs()))),
    }
}

fn failed(error: impl std::fmt::Display) -> Error {
    Error::msg(format!("the PostgreSQL store: {error}"))
}

/// The URL as it may be shown in a message or a log.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("…"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn activate_instance(&self, name: &str, config: &str) -> Result<InstanceRecord> {
        let (name, config) = (name.to_owned(), config.to_owned());
        self.transaction(move |connection| {
            Box::pin(async move { instances::activate(connection, &name, &config).await })
        })
        .await
    }

    async fn restore_instance(&self, name: &str, previous: Option<InstanceRecord>) -> Result<InstanceRecord> {
        let name = name.to_owned();
        self.transaction(move |connection| {
            Box::pin(async move { instances::restore(connection, &name, previous.as_ref()).await })
        })
        .await
    }

    async fn deactivate_instance(&self, name: &str) -> Result<Option<InstanceRecord>> {
        let name = name.to_owned();
        self.transaction(move |connection| {
            Box::pin(async move {
                tokens::forget(connection, &name).await?;
                instances::deactivate(connection, &name).await
            })
        })
        .await
    }

    async fn replace_configs(&self, changes: Vec<(String, i64, String)>) -> Result<usize> {
        self.transaction(move |connection| {
            Box::pin(async move { instances::replace_configs(connection, &changes).await })
        })
        .await
    }

    async fn record_registration(&self, name: &str, registration: Option<String>) -> Result<()> {
        let name = name.to_owned();
        self.transaction(move |connection| {
            Box::pin(async move { instances::record_registration(connection, &name, registration.as_deref()).await })
        })
        .await
    }

    async fn instance(&self, name: &str) -> Result<Option<InstanceRecord>> {
        let name = name.to_owned();
        self.connection(move |connection| Box::pin(async move { instances::get(connection, &name).await })).await
    }

    async fn instances(&self) -> Result<Vec<InstanceRecord>> {
        self.connection(|connection| Box::pin(instances::all(connection))).await
    }

    async fn token(&self, instance: &str, connection: &str) -> Result<Option<String>> {
        let (instance, key) = (instance.to_owned(), connection.to_owned());
        self.connection(move |connection| Box::pin(async move { tokens::read(connection, &instance, &key).await }))
            .await
    }

    async fn save_token(&self, token: StoredToken) -> Result<()> {
        self.connection(move |connection| Box::pin(async move { tokens::write(connection, &token, now()).await })).await
    }

    async fn tokens(&self) -> Result<Vec<StoredToken>> {
        self.connection(|connection| Box::pin(tokens::all(connection))).await
    }

    async fn replace_tokens(&self, changes: Vec<(StoredToken, String)>) -> Result<usize> {
        self.transaction(move |connection| Box::pin(async move { tokens::replace(connection, &changes, now()).await }))
            .await
    }

    async fn enqueue(&self, entry: Entry, _when_full: WhenFull) -> Result<Enqueued> {
        // There is no queue of writes to be full: a request waits for its batch's connection,
        // at most ACQUIRE_TIMEOUT, and is answered 503 after.
        let headers = codec::encode_headers(entry.request.headers());
        let queued = matches!(entry.start, Start::Queued);
        let enqueued = self.admissions.write(Admission { entry, headers, now: now() }).await.map_err(failed)?;
        if queued && matches!(enqueued, Enqueued::Created(_)) {
            self.announcer.queued();
        }
        Ok(enqueued)
    }

    async fn claim(&self, flows: Vec<FlowClaim>, total: usize, lease: Duration) -> Result<Vec<ClaimedRun>> {
        within_patience(async {
            let mut connection = self.claims.acquire().await?;
            inbox::claim(&mut connection, &flows, total, lease, now()).await
        })
        .await
    }

    async fn completed_steps(&self, run: RunId) -> Result<Vec<CompletedStep>> {
        self.connection(move |connection| Box::pin(steps::completed(connection, run))).await
    }

    async fn record_step(&self, run: RunId, step: CompletedStep) -> Result<()> {
        self.connection(move |connection| Box::pin(async move { steps::record(connection, run, &step).await })).await
    }

    async fn finish(&self, attempt: FinishedAttempt) -> Result<Finished> {
        let finished_at = now();
        let outcomes = Outcomes::of(&attempt, codec::history_line(&attempt, finished_at), finished_at);
        if attempt.state.is_empty() {
            return self.outcomes.write(outcomes).await.map_err(failed);
        }
        self.transaction(move |connection| {
            Box::pin(async move { inbox::finish_with_state(connection, &attempt, &outcomes, finished_at).await })
        })
        .await
    }

    async fn state(&self, flow: &str, instance: &str) -> Result<Option<StoredState>> {
        let (flow, instance) = (flow.to_owned(), instance.to_owned());
        self.connection(move |connection| Box::pin(async move { state::read(connection, &flow, &instance).await }))
            .await
    }

    async fn files_done(&self, flow: &str, instance: &str, files: Vec<FileVersion>) -> Result<Vec<FileVersion>> {
        let (flow, instance) = (flow.to_owned(), instance.to_owned());
        self.connection(move |connection| {
            Box::pin(async move { files::done(connection, &flow, &instance, &files).await })
        })
        .await
    }

    async fn record_file(&self, done: FileDone) -> Result<()> {
        self.transaction(move |connection| Box::pin(async move { files::record(connection, &done).await })).await
    }

    async fn mark_echo(&self, mark: EchoMark) -> Result<()> {
        self.connection(move |connection| Box::pin(async move { echoes::mark(connection, &mark).await })).await
    }

    async fn is_echo(&self, mark: EchoMark) -> Result<bool> {
        self.transaction(move |connection| Box::pin(async move { echoes::is_echo(connection, &mark, now()).await }))
            .await
    }

    async fn make_due(&self, run: RunId) -> Result<bool> {
        self.connection(move |connection| Box::pin(inbox::make_due(connection, run, now()))).await
    }

    async fn heartbeat(&self, runs: Vec<RunId>, lease: Duration) -> Result<()> {
        self.connection(move |connection| {
            Box::pin(async move { inbox::heartbeat(connection, &runs, lease, now()).await })
        })
        .await
    }

    async fn release(&self, runs: Vec<RunId>) -> Result<()> {
        self.connection(move |connection| Box::pin(async move { inbox::release(connection, &runs, now()).await })).await
    }

    async fn maintain(&self) -> Result<()> {
        self.transaction(|connection| Box::pin(inbox::maintain(connection, now()))).await
    }

    async fn move_delivery_ids(&self, moves: Vec<(&'static str, &'static str)>) -> Result<()> {
        self.transaction(move |connection| Box::pin(async move { inbox::move_delivery_ids(connection, &moves).await }))
            .await
    }

    async fn prune(&self, pruning: Arc<Pruning>, after: RunId, limit: usize, remove: bool) -> Result<Pruned> {
        self.transaction(move |connection| {
            Box::pin(async move { prune::pass(connection, &pruning, after, limit, now(), remove).await })
        })
        .await
    }

    async fn replayable(&self, selection: Replayable) -> Result<Vec<RunId>> {
        self.connection(move |connection| Box::pin(async move { history::replayable(connection, &selection).await }))
            .await
    }

    async fn stored_run(&self, id: RunId) -> Result<Option<StoredRun>> {
        self.connection(move |connection| Box::pin(history::stored_run(connection, id))).await
    }

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>> {
        let filter = filter.clone();
        self.connection(move |connection| Box::pin(async move { history::list(connection, &filter).await })).await
    }

    async fn run(&self, id: RunId) -> Result<Option<RunDetail>> {
        self.connection(move |connection| Box::pin(history::detail(connection, id))).await
    }

    async fn last_tick(&self, flow: &str) -> Result<Option<i64>> {
        let flow = flow.to_owned();
        self.connection(move |connection| Box::pin(async move { schedules::last_tick(connection, &flow).await })).await
    }

    async fn record_tick(&self, flow: &str, tick: i64) -> Result<()> {
        let flow = flow.to_owned();
        self.connection(move |connection| {
            Box::pin(async move { schedules::record_tick(connection, &flow, tick).await })
        })
        .await
    }

    async fn paused(&self) -> Result<Vec<Paused>> {
        self.connection(|connection| Box::pin(schedules::paused(connection))).await
    }

    async fn set_paused(&self, paused: Paused, pause: bool) -> Result<bool> {
        self.connection(move |connection| {
            Box::pin(async move { schedules::set_paused(connection, &paused, pause).await })
        })
        .await
    }

    async fn create_admin_token(&self, name: &str, digest: &str) -> Result<bool> {
        let (name, digest) = (name.to_owned(), digest.to_owned());
        self.connection(move |connection| {
            Box::pin(async move { admin_tokens::create(connection, &name, &digest).await })
        })
        .await
    }

    async fn revoke_admin_token(&self, name: &str) -> Result<bool> {
        let name = name.to_owned();
        self.connection(move |connection| Box::pin(async move { admin_tokens::revoke(connection, &name).await })).await
    }

    async fn admin_tokens(&self) -> Result<Vec<AdminToken>> {
        self.connection(|connection| Box::pin(admin_tokens::list(connection))).await
    }

    async fn admin_token_named(&self, digest: &str) -> Result<Option<String>> {
        let digest = digest.to_owned();
        self.connection(move |connection| Box::pin(async move { admin_tokens::named(connection, &digest).await })).await
    }

    async fn queue_depth(&self) -> Result<u64> {
        self.connection(|connection| Box::pin(history::queue_depth(connection))).await
    }

    async fn record_public_url(&self, url: &str) -> Result<()> {
        let url = url.to_owned();
        self.connection(move |connection| Box::pin(async move { instances::record_public_url(connection, &url).await }))
            .await
    }

    async fn public_url(&self) -> Result<Option<String>> {
        self.connection(|connection| Box::pin(instances::public_url(connection))).await
    }

    async fn runs_announced(&self) {
        match &self.announcements {
            Some(announcements) => announcements.runs().await,
            None => std::future::pending().await,
        }
    }

    async fn instances_changed(&self) {
        match &self.announcements {
            Some(announcements) => announcements.instances().await,
            None => std::future::pending().await,
        }
    }

    async fn close(&self) {
        // Every write was committed when its call returned; what is left is to end the
        // connections, so that a server stopped in a process that goes on leaves none open.
        if let Some(announcements) = &self.announcements {
            announcements.stop();
        }
        self.pool.close().await;
        self.claims.close().await;
    }
}
