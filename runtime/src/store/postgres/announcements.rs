//! `LISTEN` for runs other servers queued, so an idle server starts them within milliseconds
//! rather than at its next look at the inbox.

use super::inbox::RUNS_CHANNEL;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long to wait before listening again after the connection was lost.
const RECONNECT: Duration = Duration::from_secs(1);

pub(super) struct Announcements {
    heard: Arc<Notify>,
    listening: tokio::task::JoinHandle<()>,
}

impl Announcements {
    /// Listens on a connection of its own, for as long as the store is open.
    pub(super) fn listen(pool: PgPool) -> Announcements {
        let heard = Arc::new(Notify::new());
        let listening = tokio::spawn(listen(pool, heard.clone()));
        Announcements { heard, listening }
    }

    /// Waits for the next announcement; several heard meanwhile count as one.
    pub(super) async fn next(&self) {
        self.heard.notified().await;
    }
}

impl Drop for Announcements {
    fn drop(&mut self) {
        self.listening.abort();
    }
}

/// A lost connection is listened on again; what was announced meanwhile is found by the
/// claim loop's own regular look at the inbox.
async fn listen(pool: PgPool, heard: Arc<Notify>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for runs other servers queue; trying again");
                tokio::time::sleep(RECONNECT).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(RUNS_CHANNEL).await {
            tracing::warn!(error = %error, "cannot listen for runs other servers queue; trying again");
            tokio::time::sleep(RECONNECT).await;
            continue;
        }
        while listener.recv().await.is_ok() {
            heard.notify_one();
        }
        tokio::time::sleep(RECONNECT).await;
    }
}
