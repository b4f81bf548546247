//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, written by one
//! thread with group commit (`writer.rs`) and read by a small pool of connections.

mod codec;
mod history;
mod inbox;
mod instances;
mod schema;
mod writer;

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use writer::Writer;

/// How many writes may wait for the writer before callers wait for room.
const WRITE_QUEUE: usize = 16_384;
/// How long a connection waits for another process (a CLI command) to release the database.
const BUSY_TIMEOUT_MS: u32 = 5_000;

pub(crate) struct SqliteStore {
    writer: Writer,
    readers: Arc<ReaderPool>,
}

impl SqliteStore {
    pub(crate) async fn open(path: &str) -> Result<SqliteStore> {
        let path = PathBuf::from(path);
        let opened = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_writer(&opened))
            .await
            .map_err(|error| Error::msg(format!("opening the store panicked: {error}")))?
            .map_err(|error| Error::msg(format!("cannot open the SQLite store at {}: {error}", path.display())))?;
        Ok(SqliteStore { writer: Writer::spawn(connection, WRITE_QUEUE), readers: Arc::new(ReaderPool::new(path)) })
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

fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    // WAL lets readers run beside the writer; FULL syncs the WAL at every commit, so an
    // acknowledged write survives a power cut, not only a crash.
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    schema::migrate(&mut connection)?;
    Ok(connection)
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
                connection
            }
        };
        let result = work(&connection);
        self.idle.lock().expect("reader pool lock").push(connection);
        Ok(result?)
    }
}

/// How long a run started in the calling process (`invoke`, activation) is leased for.
const IMMEDIATE_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

#[async_trait::async_trait]
impl crate::store::Store for SqliteStore {
    async fn activate_instance(&self, name: &str, config: &str) -> Result<crate::store::InstanceRecord> {
        let (name, config) = (name.to_owned(), config.to_owned());
        self.writer.write(move |connection| instances::activate(connection, &name, &config)).await
    }

    async fn deactivate_instance(&self, name: &str) -> Result<Option<crate::store::InstanceRecord>> {
        let name = name.to_owned();
        self.writer.write(move |connection| instances::deactivate(connection, &name)).await
    }

    async fn instance(&self, name: &str) -> Result<Option<crate::store::InstanceRecord>> {
        let name = name.to_owned();
        self.read(move |connection| instances::get(connection, &name)).await
    }

    async fn instances(&self) -> Result<Vec<crate::store::InstanceRecord>> {
        self.read(instances::all).await
    }

    async fn enqueue(&self, run: crate::store::NewRun) -> Result<crate::store::Enqueued> {
        self.writer.write(move |connection| inbox::enqueue(connection, &run, IMMEDIATE_LEASE)).await
    }

    async fn enqueue_tick(&self, flow: &str, tick: jiff::Timestamp) -> Result<Vec<crate::store::RunId>> {
        let flow = flow.to_owned();
        self.writer.write(move |connection| inbox::enqueue_tick(connection, &flow, tick)).await
    }

    async fn claim(&self, limit: usize, lease: std::time::Duration) -> Result<Vec<crate::store::ClaimedRun>> {
        self.writer.write(move |connection| inbox::claim(connection, limit, lease)).await
    }

    async fn finish(&self, attempt: crate::store::FinishedAttempt) -> Result<()> {
        self.writer.write(move |connection| inbox::finish(connection, &attempt)).await
    }

    async fn runs(&self, filter: &crate::store::RunFilter) -> Result<Vec<crate::store::RunSummary>> {
        let filter = filter.clone();
        self.read(move |connection| history::list(connection, &filter)).await
    }

    async fn run(&self, id: crate::store::RunId) -> Result<Option<crate::store::RunDetail>> {
        self.read(move |connection| history::detail(connection, id)).await
    }
}
