//! Runs queued and instances changed, announced to every server by `NOTIFY` and heard by
//! `LISTEN`: an idle server starts a run within milliseconds rather than at its next look at
//! the inbox, and a reconfigured instance (a rotated secret) is in force on every server as soon.
//!
//! Admissions do not notify in their own transactions: PostgreSQL commits a transaction that
//! notifies under a lock of the whole database, so admissions that notified committed one at
//! a time, their fsyncs no longer shared (1,500 rather than 4,400 admissions/s under pgbench
//! with 16 clients). A server's admissions set a mark instead, and one task sends one `NOTIFY`
//! for all that came while it sent the last.

use super::inbox::RUNS_CHANNEL;
use super::instances::INSTANCES_CHANNEL;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How long to wait before listening again after the connection was lost.
const RECONNECT: Duration = Duration::from_secs(1);

pub(super) struct Announcements {
    heard: Arc<Heard>,
    listening: tokio::task::JoinHandle<()>,
}

/// What was heard and not yet waited for; several of a kind heard meanwhile count as one.
#[derive(Default)]
struct Heard {
    runs: Notify,
    instances: Notify,
}

impl Announcements {
    /// Listens on a connection of its own, for as long as the store is open.
    pub(super) fn listen(pool: PgPool) -> Announcements {
        let heard = Arc::new(Heard::default());
        let listening = tokio::spawn(listen(pool, heard.clone()));
        Announcements { heard, listening }
    }

    /// Waits until runs were announced.
    pub(super) async fn runs(&self) {
        self.heard.runs.notified().await;
    }

    /// Waits until an instance was changed.
    pub(super) async fn instances(&self) {
        self.heard.instances.notified().await;
    }
}

/// Announces runs queued, one `NOTIFY` at a time, however many are queued meanwhile.
pub(super) struct Announcer {
    pending: Arc<AtomicBool>,
    wake: Arc<Notify>,
    sending: tokio::task::JoinHandle<()>,
}

impl Announcer {
    pub(super) fn start(pool: PgPool) -> Announcer {
        let (pending, wake) = (Arc::new(AtomicBool::new(false)), Arc::new(Notify::new()));
        let sending = tokio::spawn(send(pool, pending.clone(), wake.clone()));
        Announcer { pending, wake, sending }
    }

    /// Marks runs as queued; the sending task announces them soon after.
    pub(super) fn queued(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            self.wake.notify_one();
        }
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.sending.abort();
    }
}

async fn send(pool: PgPool, pending: Arc<AtomicBool>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        while pending.swap(false, Ordering::AcqRel) {
            // A lost announcement costs a server its wake-up, not a run: claim loops look at the
            // inbox on their own twice a second.
            if let Err(error) = sqlx::query("SELECT pg_notify($1, '')").bind(RUNS_CHANNEL).execute(&pool).await {
                tracing::debug!(error = %error, "announcing queued runs failed");
            }
        }
    }
}

impl Announcements {
    /// Stops listening, and wakes whoever waits for an announcement.
    pub(super) fn stop(&self) {
        self.listening.abort();
        // Whoever waits is let go, to find its server stopping, rather than wait for ever.
        self.heard.runs.notify_waiters();
        self.heard.instances.notify_waiters();
    }
}

impl Drop for Announcements {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A lost connection is listened on again; runs announced meanwhile are found by the claim
/// loop's own regular look at the inbox, and instances are read again once listening resumes.
async fn listen(pool: PgPool, heard: Arc<Heard>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for the runs and instance changes other servers announce; trying again");
                tokio::time::sleep(RECONNECT).await;
                continue;
            }
        };
        if let Err(error) = listener.listen_all([RUNS_CHANNEL, INSTANCES_CHANNEL]).await {
            tracing::warn!(error = %error, "cannot listen for the runs and instance changes other servers announce; trying again");
            tokio::time::sleep(RECONNECT).await;
            continue;
        }
        heard.instances.notify_one();
        while let Ok(notification) = listener.recv().await {
            match notification.channel() {
                INSTANCES_CHANNEL => heard.instances.notify_one(),
                _ => heard.runs.notify_one(),
            }
        }
        tokio::time::sleep(RECONNECT).await;
    }
}
