//! The one thread that writes to SQLite. Writes from every task queue up here and are
//! committed together, many to a transaction (group commit): one fsync acknowledges them all.
//! A write no one waits on urgently (a run's finish, a lease's renewal) lingers a moment for
//! company: a batch of only such writes waits up to [`LINGER`] for another write to share
//! its fsync, so that the next admission does not queue behind a commit of its own.

use crate::model::{Error, Result};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// How one write ends: `Ok` after its transaction committed.
type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// A write waiting for the writer thread.
trait Job: Send {
    /// Runs inside the open transaction; says whether it succeeded and how to answer.
    fn run(self: Box<Self>, connection: &Connection) -> (bool, Reply);
    /// Answers without running: the transaction could not begin.
    fn fail(self: Box<Self>, message: String);
}

struct Write<T, F> {
    work: F,
    answer: oneshot::Sender<Result<T>>,
}

/// A job, and whether it may wait for company.
struct Queued {
    job: Box<dyn Job>,
    lazy: bool,
}

impl<T, F> Job for Write<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> (bool, Reply) {
        let Write { work, answer } = *self;
        let result = work(connection);
        let succeeded = result.is_ok();
        let reply: Reply = Box::new(move |commit| {
            let outcome = match (result, commit) {
                (Ok(value), Ok(())) => Ok(value),
                (Err(error), _) => Err(error.into()),
                (Ok(_), Err(error)) => Err(Error::msg(error)),
            };
            // The caller may have gone away (a closed connection); the write stands regardless.
            let _ = answer.send(outcome);
        });
        (succeeded, reply)
    }

    fn fail(self: Box<Self>, message: String) {
        let _ = self.answer.send(Err(Error::msg(message)));
    }
}

/// Most writes committed in one transaction; enough to amortise the fsync, few enough to
/// answer the first of them quickly.
const MAX_BATCH: usize = 512;

/// How long a batch of lazy writes waits for another write before it commits alone: about one
/// fsync, what sharing it saves the write that comes.
const LINGER: std::time::Duration = std::time::Duration::from_micros(500);

/// The handle tasks write through.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Queued>,
}

impl Writer {
    /// Starts the writer thread on `connection`; at most `capacity` writes wait at once.
    pub(crate) fn spawn(connection: Connection, capacity: usize) -> Writer {
        let (jobs, receiver) = mpsc::channel(capacity);
        std::thread::Builder::new()
            .name("aqueduct-sqlite-writer".into())
            .spawn(move || write_batches(connection, receiver))
            .expect("spawning the SQLite writer thread");
        Writer { jobs }
    }

    /// Runs `work` in the next transaction and returns its result once that is committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue(work, false).await
    }

    /// Like [`Writer::write`], for a write whose commit may wait up to [`LINGER`] for another
    /// write to share it.
    pub(crate) async fn write_lazily<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.queue(work, true).await
    }

    async fn queue<T, F>(&self, work: F, lazy: bool) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Write { work, answer });
        self.jobs.send(Queued { job, lazy }).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Like [`Writer::write`], but `None` at once when the queue is full.
    pub(crate) fn try_write<T, F>(&self, work: F) -> Option<impl Future<Output = Result<T>> + use<T, F>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Write { work, answer });
        let sent = match self.jobs.try_send(Queued { job, lazy: false }) {
            Err(mpsc::error::TrySendError::Full(_)) => return None,
            sent => sent.map_err(|_| stopped()),
        };
        Some(async move {
            sent?;
            answered.await.map_err(|_| stopped())?
        })
    }
}

fn stopped() -> Error {
    Error::msg("the SQLite writer has stopped")
}

fn write_batches(connection: Connection, mut jobs: mpsc::Receiver<Queued>) {
    while let Some(first) = jobs.blocking_recv() {
        let mut all_lazy = first.lazy;
        let mut batch = vec![first.job];
        let lingering_until = std::time::Instant::now() + LINGER;
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(queued) => {
                    all_lazy &= queued.lazy;
                    batch.push(queued.job);
                }
                // Polled, not awaited with a timeout: the wait is shorter than a thread's wake-up.
                Err(mpsc::error::TryRecvError::Empty) if all_lazy && std::time::Instant::now() < lingering_until => {
                    std::thread::sleep(std::time::Duration::from_micros(25))
                }
                Err(_) => break,
            }
        }
        let Some((replies, all_succeeded)) = run_batch(&connection, batch) else { continue };
        let commit = if all_succeeded {
            connection.execute_batch("COMMIT").map_err(|error| format!("committing to SQLite failed: {error}"))
        } else {
            Err("another write in the same transaction failed, so none of them was committed".to_owned())
        };
        if commit.is_err() {
            let _ = connection.execute_batch("ROLLBACK");
        }
        for reply in replies {
            reply(commit.clone());
        }
    }
}

/// Runs the jobs in one transaction. A job that fails spoils the transaction: every job in it
/// is then answered with an error, which is true, since nothing of it is committed. (Failures
/// are I/O errors, which would fail the commit anyway; a savepoint per job to isolate them
/// costs a statement journal per job, the most expensive part of a write.)
fn run_batch(connection: &Connection, batch: Vec<Box<dyn Job>>) -> Option<(Vec<Reply>, bool)> {
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        let message = format!("starting a SQLite transaction failed: {error}");
        batch.into_iter().for_each(|job| job.fail(message.clone()));
        return None;
    }
    let mut all_succeeded = true;
    let mut replies = Vec::with_capacity(batch.len());
    for job in batch {
        // Some failures (disk full, I/O) make SQLite roll the transaction back itself; the jobs
        // after that would run outside any transaction, so they are refused instead.
        if !all_succeeded && connection.is_autocommit() {
            job.fail("SQLite rolled back the transaction after an earlier write failed".to_owned());
            continue;
        }
        let (succeeded, reply) = job.run(connection);
        all_succeeded &= succeeded;
        replies.push(reply);
    }
    Some((replies, all_succeeded))
}
