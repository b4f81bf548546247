//! Group commit on PostgreSQL: writes of one kind that arrive together go as one statement,
//! so they share one round trip, one commit and one fsync, as the SQLite writer's batches do.

use futures::future::BoxFuture;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// At most this many writes in one statement.
const LARGEST: usize = 256;
/// Statements of one kind in flight at once, each on a connection of its own.
const IN_FLIGHT: usize = 4;
/// How long a batch may take. A connection lost while PostgreSQL restarts can leave a
/// statement waiting for an answer that never comes; its writes fail instead, and are tried
/// again (a finish) or refused with 503 (an admission).
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

type Answer<A> = oneshot::Sender<Result<A, Arc<sqlx::Error>>>;
type Item<T, A> = (Arc<T>, Answer<A>);

/// Writes of one kind, sent in batches by `IN_FLIGHT` tasks.
pub(super) struct Batches<T, A> {
    sender: mpsc::UnboundedSender<Item<T, A>>,
}

/// Writes a batch, answering each write in order.
pub(super) type WriteBatch<T, A> = fn(PgPool, Vec<Arc<T>>) -> BoxFuture<'static, sqlx::Result<Vec<A>>>;

impl<T: Send + Sync + 'static, A: Send + 'static> Batches<T, A> {
    pub(super) fn start(pool: PgPool, write: WriteBatch<T, A>) -> Batches<T, A> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..IN_FLIGHT {
            tokio::spawn(send_batches(pool.clone(), receiver.clone(), write));
        }
        Batches { sender }
    }

    /// Writes `item` with whatever else is waiting, and answers when the batch is committed.
    pub(super) async fn write(&self, item: T) -> Result<A, Arc<sqlx::Error>> {
        let (answer, answered) = oneshot::channel();
        if self.sender.send((Arc::new(item), answer)).is_err() {
            return Err(Arc::new(sqlx::Error::PoolClosed));
        }
        answered.await.unwrap_or_else(|_| Err(Arc::new(sqlx::Error::WorkerCrashed)))
    }
}

/// Takes what is waiting (while another task's batch is being written, more gathers), then
/// writes it as one statement. A batch that fails is written again one by one, so that one
/// write PostgreSQL refuses fails alone.
async fn send_batches<T, A>(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<Item<T, A>>>>,
    write: WriteBatch<T, A>,
) where
    T: Send + Sync + 'static,
    A: Send + 'static,
{
    loop {
        let mut batch = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut batch, LARGEST).await == 0 {
                return;
            }
        }
        let (items, answers): (Vec<Arc<T>>, Vec<Answer<A>>) = batch.into_iter().unzip();
        let written = tokio::time::timeout(PATIENCE, write(pool.clone(), items.clone())).await;
        match written.unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut)) {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(Ok(result));
                }
            }
            Err(error) if items.len() == 1 => {
                let _ = answers.into_iter().next().map(|answer| answer.send(Err(Arc::new(error))));
            }
            Err(_) => {
                for (item, answer) in items.into_iter().zip(answers) {
                    let written = tokio::time::timeout(PATIENCE, write(pool.clone(), vec![item])).await;
                    let written = written.unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut));
                    let _ = answer.send(
                        written
                            .map_err(Arc::new)
                            .and_then(|mut results| results.pop().ok_or_else(|| Arc::new(sqlx::Error::RowNotFound))),
                    );
                }
            }
        }
    }
}
