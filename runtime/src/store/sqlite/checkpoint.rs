//! Checkpoints off the writer thread. SQLite's automatic checkpoint runs inside the commit that
//! crosses its threshold (1,000 pages of WAL), so every write waiting for that commit waited
//! for the checkpoint's copying and fsync too: a tick's hundred runs started 30 ms late instead
//! of 8 (`cargo bench --bench ticks`). A server's writer leaves checkpoints to this thread, and
//! checkpoints itself only past a far threshold, should this thread fall behind.

use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the WAL is copied back into the database.
const EVERY: Duration = Duration::from_millis(250);
/// A server's writer checkpoints itself only past this many WAL pages (about 40 MiB).
pub(super) const WRITER_THRESHOLD: i64 = 10_000;

/// Checkpoints the database at `path` every [`EVERY`] until the returned sender is dropped.
pub(super) fn spawn(path: PathBuf) -> Sender<()> {
    let (stop, stopped) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new().name("aqueduct-checkpoint".into()).spawn(move || {
        let connection = match Connection::open(&path) {
            Ok(connection) => connection,
            Err(error) => return tracing::warn!(%error, "cannot open the store to checkpoint it; the writer will"),
        };
        let _ = connection.busy_timeout(Duration::from_secs(5));
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
            // PASSIVE: copies what no reader still needs, never waits for the writer or readers.
            if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(%error, "a checkpoint did not run; the next one will");
            }
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the checkpoint thread; the writer checkpoints");
    }
    stop
}
