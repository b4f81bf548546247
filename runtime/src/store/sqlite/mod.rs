//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, written by one
//! thread with group commit (`writer.rs`) and read by a small pool of connections.

mod admin_tokens;
#[cfg(test)]
mod dedupe_tests;
mod echoes;
mod files;
mod history;
mod inbox;
mod instances;
#[cfg(test)]
mod lease_tests;
mod prune;
#[cfg(test)]
mod prune_tests;
mod schedules;
mod schema;
mod state;
mod steps;
#[cfg(test)]
mod test_store;
mod tokens;
mod writer;

use super::codec::{self, now};
use crate::model::{EchoMark, Error, InstanceRecord, Result, RunDetail, RunId, RunSummary};
use crate::store::{
    AdminToken, ClaimedRun, CompletedStep, Enqueued, Entry, FileDone, FileVersion, Finished, FinishedAttempt,
    FlowClaim, Paused, Pruned, Pruning, Replayable, Role, RunFilter, Store, StoredRun, StoredState, StoredToken,
    WhenFull,
};
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use writer::Writer;

/// How many writes a command's store lets wait for the writer.
const COMMAND_QUEUE: usize = 1024;
/// How long a connection waits for another process (a CLI command) to release the database.
const BUSY_TIMEOUT_MS: u32 = 5_000;

pub(crate) struct SqliteStore {
    writer: Writer,
    readers: Arc<ReaderPool>,
    /// A server's exclusive claim on the store, held while it lives.
    _server_lock: Option<File>,
}

impl SqliteStore {
    pub(crate) async fn open(path: &str, role: Role) -> Result<SqliteStore> {
        let path = PathBuf::from(path);
        let server_lock = match role {
            Role::Server { .. } => Some(lock_for_serving(&path)?),
            Role::Command => None,
        };
        let opened = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_writer(&opened))
            .await
            .map_err(|error| Error::msg(format!("opening the store panicked: {error}")))?
            .map_err(|error| Error::msg(format!("cannot open the SQLite store at {}: {error}", path.display())))?;
        let capacity = match role {
            Role::Server { queue_capacity } => queue_capacity,
            Role::Command => COMMAND_QUEUE,
        };
        let store = SqliteStore {
            writer: Writer::spawn(connection, capacity),
            readers: Arc::new(ReaderPool::new(path)),
            _server_lock: server_lock,
        };
        if matches!(role, Role::Server { .. }) {
            let requeued = store.writer.write(|connection| inbox::recover(connection, now())).await?;
            if requeued > 0 {
                tracing::info!(runs = requeued, "resuming runs that a stopped server left unfinished");
            }
        }
        Ok(store)
    }

    /// Runs `work` on a pooled read connection, off the async threads.
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || readers.with(work))
            .await
            .map_err(|error| Error::msg(format!("a store read panicked: {error}")))?
    }
}

/// One server per SQLite store: it alone runs workers, so at start it may take over every run
/// left running (scaling out is what PostgreSQL is for).
fn lock_for_serving(path: &Path) -> Result<File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|error| Error::msg(format!("cannot create {}: {error}", Path::new(&lock_path).display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => Err(Error::msg(format!(
            "another server is already serving the store {}; stop it, or give this one its own store with --store",
            path.display()
        ))),
    }
}

pub(super) fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    // WAL lets readers run beside the writer; FULL syncs the WAL at every commit, so an
    // acknowledged write survives a power cut, not only a crash.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    tune(&connection)?;
    schema::migrate(&mut connection)?;
    Ok(connection)
}

/// The inbox's pages are hot: map the file rather than read pages back with a system call.
/// The page cache stays at SQLite's default size: every commit scans the cache's hash table
/// for pages past the end of the database, and with a 64 MiB cache that scan took a fifth of
/// the writer thread's time (measured with `perf` under `cargo bench --bench ingest`).
fn tune(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Read connections, opened on demand and kept for reuse.
struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn new(path: PathBuf) -> ReaderPool {
        ReaderPool { path, idle: Mutex::new(Vec::new()) }
    }

    fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let pooled = self.idle.lock().expect("reader pool lock").pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => {
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
                tune(&connection)?;
                connection
            }
        };
        let result = work(&connection);
        self.idle.lock().expect("reader pool lock").push(connection);
        Ok(result?)
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn activate_instance(&self, name: &str, config: &str) -> Result<InstanceRecord> {
        let (name, config) = (name.to_owned(), config.to_owned());
        self.writer.write(move |connection| instances::activate(connection, &name, &config)).await
    }

    async fn restore_instance(&self, name: &str, previous: Option<InstanceRecord>) -> Result<InstanceRecord> {
        let name = name.to_owned();
        self.writer.write(move |connection| instances::restore(connection, &name, previous.as_ref())).await
    }

    async fn deactivate_instance(&self, name: &str) -> Result<Option<InstanceRecord>> {
        let name = name.to_owned();
        self.writer
            .write(move |connection| {
                tokens::forget(connection, &name)?;
                instances::deactivate(connection, &name)
            })
            .await
    }

    async fn replace_configs(&self, changes: Vec<(String, i64, String)>) -> Result<usize> {
        self.writer.write(move |connection| instances::replace_configs(connection, &changes)).await
    }

    async fn record_registration(&self, name: &str, registration: Option<String>) -> Result<()> {
        let name = name.to_owned();
        self.writer
            .write(move |connection| instances::record_registration(connection, &name, registration.as_deref()))
            .await
    }

    async fn instance(&self, name: &str) -> Result<Option<InstanceRecord>> {
        let name = name.to_owned();
        self.read(move |connection| instances::get(connection, &name)).await
    }

    async fn instances(&self) -> Result<Vec<InstanceRecord>> {
        self.read(instances::all).await
    }

    async fn token(&self, instance: &str, connection: &str) -> Result<Option<String>> {
        let (instance, connection) = (instance.to_owned(), connection.to_owned());
        self.read(move |reader| tokens::read(reader, &instance, &connection)).await
    }

    async fn save_token(&self, token: StoredToken) -> Result<()> {
        self.writer.write(move |connection| tokens::write(connection, &token, now())).await
    }

    async fn tokens(&self) -> Result<Vec<StoredToken>> {
        self.read(tokens::all).await
    }

    async fn replace_tokens(&self, changes: Vec<(StoredToken, String)>) -> Result<usize> {
        self.writer.write(move |connection| tokens::replace(connection, &changes, now())).await
    }

    async fn enqueue(&self, entry: Entry, when_full: WhenFull) -> Result<Enqueued> {
        let headers = codec::encode_headers(entry.request.headers());
        let work = move |connection: &Connection| inbox::enqueue(connection, &entry, &headers, now());
        match when_full {
            WhenFull::Wait => self.writer.write(work).await,
            WhenFull::Refuse => match self.writer.try_write(work) {
                Some(written) => written.await,
                None => Ok(Enqueued::Busy),
            },
        }
    }

    async fn claim(&self, flows: Vec<FlowClaim>, total: usize, lease: Duration) -> Result<Vec<ClaimedRun>> {
        let rows = self.writer.write(move |connection| inbox::claim(connection, &flows, total, lease, now())).await?;
        Ok(rows.into_iter().map(inbox::ClaimedRow::decode).collect())
    }

    async fn completed_steps(&self, run: RunId) -> Result<Vec<CompletedStep>> {
        self.read(move |connection| steps::completed(connection, run)).await
    }

    async fn record_step(&self, run: RunId, step: CompletedStep) -> Result<()> {
        self.writer.write(move |connection| steps::record(connection, run, &step)).await
    }

    async fn finish(&self, attempt: FinishedAttempt) -> Result<Finished> {
        let finished_at = now();
        let line = codec::history_line(&attempt, finished_at);
        self.writer.write_lazily(move |connection| inbox::finish(connection, &attempt, &line, finished_at)).await
    }

    async fn state(&self, flow: &str, instance: &str) -> Result<Option<StoredState>> {
        let (flow, instance) = (flow.to_owned(), instance.to_owned());
        self.read(move |connection| state::read(connection, &flow, &instance)).await
    }

    async fn files_done(&self, flow: &str, instance: &str, files: Vec<FileVersion>) -> Result<Vec<FileVersion>> {
        let (flow, instance) = (flow.to_owned(), instance.to_owned());
        self.read(move |connection| files::done(connection, &flow, &instance, &files)).await
    }

    async fn record_file(&self, done: FileDone) -> Result<()> {
        self.writer.write(move |connection| files::record(connection, &done)).await
    }

    async fn mark_echo(&self, mark: EchoMark) -> Result<()> {
        self.writer.write(move |connection| echoes::mark(connection, &mark)).await
    }

    async fn is_echo(&self, mark: EchoMark) -> Result<bool> {
        self.writer.write(move |connection| echoes::is_echo(connection, &mark, now())).await
    }

    async fn make_due(&self, run: RunId) -> Result<bool> {
        self.writer.write(move |connection| inbox::make_due(connection, run, now())).await
    }

    async fn heartbeat(&self, runs: Vec<RunId>, lease: Duration) -> Result<()> {
        self.writer.write_lazily(move |connection| inbox::heartbeat(connection, &runs, lease, now())).await
    }

    async fn release(&self, runs: Vec<RunId>) -> Result<()> {
        self.writer.write(move |connection| inbox::release(connection, &runs, now())).await
    }

    async fn maintain(&self) -> Result<()> {
        self.writer.write(|connection| inbox::maintain(connection, now())).await
    }

    async fn move_delivery_ids(&self, moves: Vec<(&'static str, &'static str)>) -> Result<()> {
        self.writer.write(move |connection| inbox::move_delivery_ids(connection, &moves)).await
    }

    async fn prune(&self, pruning: Arc<Pruning>, after: RunId, limit: usize, remove: bool) -> Result<Pruned> {
        let work = move |connection: &Connection| prune::pass(connection, &pruning, after, limit, now(), remove);
        if remove { self.writer.write(work).await } else { self.read(work).await }
    }

    async fn replayable(&self, selection: Replayable) -> Result<Vec<RunId>> {
        self.read(move |connection| history::replayable(connection, &selection)).await
    }

    async fn stored_run(&self, id: RunId) -> Result<Option<StoredRun>> {
        self.read(move |connection| history::stored_run(connection, id)).await
    }

    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>> {
        let filter = filter.clone();
        self.read(move |connection| history::list(connection, &filter)).await
    }

    async fn run(&self, id: RunId) -> Result<Option<RunDetail>> {
        self.read(move |connection| history::detail(connection, id)).await
    }

    async fn last_tick(&self, flow: &str) -> Result<Option<i64>> {
        let flow = flow.to_owned();
        self.read(move |connection| schedules::last_tick(connection, &flow)).await
    }

    async fn record_tick(&self, flow: &str, tick: i64) -> Result<()> {
        let flow = flow.to_owned();
        self.writer.write(move |connection| schedules::record_tick(connection, &flow, tick)).await
    }

    async fn paused(&self) -> Result<Vec<Paused>> {
        self.read(schedules::paused).await
    }

    async fn set_paused(&self, paused: Paused, pause: bool) -> Result<bool> {
        self.writer.write(move |connection| schedules::set_paused(connection, &paused, pause)).await
    }

    async fn create_admin_token(&self, name: &str, digest: &str) -> Result<bool> {
        let (name, digest) = (name.to_owned(), digest.to_owned());
        self.writer.write(move |connection| admin_tokens::create(connection, &name, &digest)).await
    }

    async fn revoke_admin_token(&self, name: &str) -> Result<bool> {
        let name = name.to_owned();
        self.writer.write(move |connection| admin_tokens::revoke(connection, &name)).await
    }

    async fn admin_tokens(&self) -> Result<Vec<AdminToken>> {
        self.read(admin_tokens::list).await
    }

    async fn admin_token_named(&self, digest: &str) -> Result<Option<String>> {
        let digest = digest.to_owned();
        self.read(move |connection| admin_tokens::named(connection, &digest)).await
    }

    async fn queue_depth(&self) -> Result<u64> {
        self.read(history::queue_depth).await
    }

    async fn record_public_url(&self, url: &str) -> Result<()> {
        let url = url.to_owned();
        self.writer.write(move |connection| instances::record_public_url(connection, &url)).await
    }

    async fn public_url(&self) -> Result<Option<String>> {
        self.read(instances::public_url).await
    }

    async fn close(&self) {
        // The writer commits in order: once this no-op is answered, everything before it is.
        let _ = self.writer.write(|_| Ok(())).await;
    }
}
